"""The built-in catalogue: complete, consistent, sourced, and in our own words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.catalogue import Catalogue, CatalogueError, load_catalogue
from app.catalogue.loader import builtin_bytes
from app.catalogue.models import Equipment, PainFlag

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# Every exercise the five articles name, by slug: the catalogue must keep them all.
SEED_EXERCISES = {
    "half-kneeling-hip-flexor-stretch",
    "half-kneeling-stretch-posterior-tilt",
    "half-kneeling-stretch-glute-contract",
    "half-kneeling-stretch-side-bend-rotation",
    "king-runner",
    "gravity-assisted-hip-flexor-stretch",
    "kneeling-lunge-stretch",
    "pigeon-pose",
    "lizard-pose",
    "prone-leg-lift-bent-knee",
    "prone-leg-lift-straight-leg",
    "hip-flexor-ball-release",
    "band-hip-flexor-strengthener",
    "all-fours-pelvic-tucks",
    "ninety-ninety-breathing",
    "ninety-ninety-breathing-asymmetric-arm",
    "diaphragmatic-breathing",
    "bridge-with-hip-flexor-pulls",
    "core-brace",
    "isometric-hip-flexion-mini-band",
    "marching-resisted-bridge",
    "side-plank-clamshell",
    "lying-leg-raise",
    "hanging-leg-raise",
    "mountain-climbers",
    "slider-mountain-climbers",
    "banded-mountain-climbers",
    "banded-hip-march",
    "standing-hip-flexor-raise",
    "tuck-l-sit",
    "one-leg-l-sit",
    "l-sit",
    "reverse-nordic",
    "thomas-test",
    "knee-to-chest-test",
}


def test_every_seed_exercise_is_present(catalogue: Catalogue) -> None:
    assert set(catalogue.by_slug) >= SEED_EXERCISES


def test_slugs_are_unique_in_the_file() -> None:
    slugs = [e["slug"] for e in json.loads(builtin_bytes())["exercises"]]
    assert len(slugs) == len(set(slugs))


def test_every_cross_reference_resolves(catalogue: Catalogue) -> None:
    for exercise in catalogue.exercises:
        for slug in [*exercise.regressions, *exercise.progressions, *filter(None, [exercise.variant_of])]:
            assert slug in catalogue.by_slug, (exercise.slug, slug)
        for ref in exercise.sources:
            assert ref.source in catalogue.sources, (exercise.slug, ref.source)


def test_progressions_and_regressions_mirror_each_other(catalogue: Catalogue) -> None:
    for exercise in catalogue.exercises:
        for harder in exercise.progressions:
            assert exercise.slug in catalogue.by_slug[harder].regressions, (exercise.slug, harder)
        for easier in exercise.regressions:
            assert exercise.slug in catalogue.by_slug[easier].progressions, (exercise.slug, easier)


@pytest.mark.parametrize(
    ("easier", "harder"),
    [
        ("lying-leg-raise", "hanging-leg-raise"),
        ("tuck-l-sit", "one-leg-l-sit"),
        ("one-leg-l-sit", "l-sit"),
        ("half-kneeling-hip-flexor-stretch", "king-runner"),
        ("isometric-hip-flexion-mini-band", "marching-resisted-bridge"),
    ],
)
def test_the_articles_progressions(catalogue: Catalogue, easier: str, harder: str) -> None:
    assert harder in catalogue.by_slug[easier].progressions


def test_each_source_article_is_credited(catalogue: Catalogue) -> None:
    cited = {ref.source for e in catalogue.exercises for ref in e.sources}
    cited |= {c.source for e in catalogue.exercises for c in e.contraindications}  # the safety sources
    assert cited == set(catalogue.sources)
    titles = {s.title for s in catalogue.sources.values()}
    assert titles >= SEED_ARTICLES  # the five articles of /work/shared/seeds, by their own titles


# The seed articles' titles (their files' names are ours, not a citation, and never on the wire).
SEED_ARTICLES = {
    "Why Doing the Hip Flexor Stretch Isn't Going to Help You",
    "Stretch and Strengthen your Hip Flexors",
    "Stretch or Strengthen! What Are Your Hip Flexors Asking You to do?",
    "Fixing Hip Flexor Pain",
    "How to Train Your Hip Flexors: Anatomy, Best Exercises & Workout Plan",
}


def test_sources_are_attributed_as_citations(catalogue: Catalogue) -> None:
    for source in catalogue.sources.values():
        credited = " ".join(filter(None, [source.author, source.publisher])).lower()
        assert "unattributed" not in credited and "seed" not in credited, source
        assert not any(".txt" in str(value) for value in source.model_dump().values()), source
    dated = {s.id for s in catalogue.sources.values() if s.published}
    assert {"stretch-and-strengthen-2016", "running-coach-pelvis-first", "acog-co-804"} <= dated


@pytest.mark.parametrize(
    ("slug", "flag"),
    [
        ("king-runner", PainFlag.knee),
        ("reverse-nordic", PainFlag.knee),
        ("pigeon-pose", PainFlag.knee),
        ("hanging-leg-raise", PainFlag.shoulder),
        ("l-sit", PainFlag.wrist),
        ("mountain-climbers", PainFlag.wrist),
        ("king-runner", PainFlag.hip),
    ],
)
def test_contraindications_the_articles_imply(catalogue: Catalogue, slug: str, flag: PainFlag) -> None:
    reason = catalogue.by_slug[slug].ruled_out_by(flag)
    assert reason is not None and len(reason.reason) > 10


def test_every_pain_flag_rules_something_out(catalogue: Catalogue) -> None:
    assert catalogue.flags_used() == set(PainFlag)


def test_equipment_options_are_alternatives_of_sets(catalogue: Catalogue) -> None:
    bridge = catalogue.by_slug["marching-resisted-bridge"]
    assert bridge.equipment == [[Equipment.bench, Equipment.mini_band]]
    assert catalogue.equipment_option(bridge, frozenset({Equipment.bench})) is None
    raise_ = catalogue.by_slug["standing-hip-flexor-raise"]
    assert sorted(o[0] for o in raise_.equipment) == sorted(
        [Equipment.dumbbell, Equipment.ankle_weight, Equipment.cable, Equipment.band, Equipment.kettlebell]
    )
    assert all(len(option) == 1 for option in raise_.equipment)
    assert catalogue.by_slug["core-brace"].equipment == [[]]


# (slug, sets, reps, hold seconds, per side) as the articles give them.
ARTICLE_DOSES = [
    ("half-kneeling-stretch-posterior-tilt", (1, 1), (10, 10), (10, 10), None),
    ("core-brace", (2, 2), (10, 20), (10, 10), None),  # the article's 20 at the top; beginners start at 10
    ("isometric-hip-flexion-mini-band", (2, 3), (10, 10), (3, 5), None),
    ("marching-resisted-bridge", (2, 3), (10, 10), None, None),
    ("side-plank-clamshell", (2, 2), (15, 15), None, True),
    ("hanging-leg-raise", (3, 3), (8, 10), None, None),
    ("standing-hip-flexor-raise", (3, 3), (10, 10), None, None),
    # its unweighted version, a beginner's isolation work: 2-3 x 8-10 per side with a 1-2 s pause at the top
    ("standing-supported-knee-raise", (2, 3), (8, 10), (1, 2), True),
    ("mountain-climbers", (3, 3), (10, 30), None, None),  # beginners: 10 controlled drives (issue 19)
]


@pytest.mark.parametrize(("slug", "sets", "reps", "hold", "per_side"), ARTICLE_DOSES)
def test_doses_follow_the_articles(catalogue: Catalogue, slug: str, sets: tuple[int, int], reps: tuple[int, int], hold: tuple[int, int] | None, per_side: bool | None) -> None:
    dose = catalogue.by_slug[slug].dose
    assert (dose.sets.min, dose.sets.max) == sets
    assert dose.reps is not None and (dose.reps.min, dose.reps.max) == reps
    if hold is not None:
        assert dose.hold_seconds is not None and (dose.hold_seconds.min, dose.hold_seconds.max) == hold
    if per_side is not None:
        assert dose.per_side is per_side


def test_mountain_climbers_have_the_warm_up_dose(catalogue: Catalogue) -> None:
    warmup = catalogue.by_slug["mountain-climbers"].goal_doses["warmup"]
    assert (warmup.sets.min, warmup.sets.max) == (2, 3)
    assert warmup.reps is not None and (warmup.reps.min, warmup.reps.max) == (8, 12)
    assert warmup.per_side


def _shingles(text: str, size: int = 8) -> set[str]:
    words = re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seed articles are not at {SEEDS}")
def test_instructions_are_in_our_own_words(catalogue: Catalogue) -> None:
    article_shingles: set[str] = set()
    for path in SEEDS.glob("0*.txt"):
        article_shingles |= _shingles(path.read_text(encoding="utf-8"))
    copied = []
    for exercise in catalogue.exercises:
        for text in [exercise.summary, *exercise.instructions, *exercise.cues, *exercise.mistakes]:
            overlap = _shingles(text) & article_shingles
            if overlap:
                copied.append((exercise.slug, sorted(overlap)[0]))
    assert copied == []


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_malformed_file_names_the_exercise_and_the_field(tmp_path: Path) -> None:
    data = json.loads(builtin_bytes())
    data["exercises"][3]["level"] = "expert"
    slug = data["exercises"][3]["slug"]
    with pytest.raises(CatalogueError) as error:
        load_catalogue(_write(tmp_path, data), mode="replace")
    message = str(error.value)
    assert "custom.json" in message and f"exercise {slug!r}: level" in message


def test_a_dangling_reference_is_refused(tmp_path: Path) -> None:
    data = json.loads(builtin_bytes())
    data["exercises"][0]["progressions"] = ["no-such-exercise"]
    with pytest.raises(CatalogueError, match="progressions: unknown slug 'no-such-exercise'"):
        load_catalogue(_write(tmp_path, data), mode="replace")


def test_a_duplicate_slug_is_refused(tmp_path: Path) -> None:
    data = json.loads(builtin_bytes())
    data["exercises"].append(data["exercises"][0])
    with pytest.raises(CatalogueError, match="appears more than once"):
        load_catalogue(_write(tmp_path, data), mode="replace")


def test_invalid_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CatalogueError, match="broken.json: not valid JSON"):
        load_catalogue(path, mode="replace")
