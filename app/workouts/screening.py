"""The red-flag screen: signs that mean "stop, and see a clinician" rather than "train".

One row per sign: the question the user answers, why it matters, how urgent
it is, what to do, and the source. A workout request that reports any of
them gets a referral instead of a session (``referral``). The standard
clinical signs follow Finucane et al.'s international framework and NICE's
summaries; the first three come from Squat University's readers and article.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.workouts.models import RedFlag, RedFlagInfo, Referral, ReferralCause, Urgency
from app.workouts.pain import NICE_HIP, PAIN_GRADES, PainGrade

SQUAT_UNIVERSITY = "Squat University, 'Hip flexor pain' (seed article and its readers' questions)"
FINUCANE = (
    "Finucane LM et al. International Framework for Red Flags for Potential Serious Spinal Pathologies. "
    "J Orthop Sports Phys Ther 2020;50(7):350-372"
)
NICE_CES = "NICE Clinical Knowledge Summaries: Sciatica (lumbar radiculopathy), suspected cauda equina syndrome"
NICE_HERNIA = "NICE Clinical Knowledge Summaries: Hernia (inguinal and femoral)"
NICE_LIMP = "NICE Clinical Knowledge Summaries: Limp in children (acute)"
BODEN = (
    "Boden BP, Osbahr DC. High-risk stress fractures: evaluation and treatment. J Am Acad Orthop Surg 2000;8(6):344-353"
)
ACOG = "ACOG Committee Opinion 804: Physical Activity and Exercise During Pregnancy and the Postpartum Period (2020)"


URGENCY_ADVICE = {
    Urgency.emergency: "Go to an emergency department now, or call your emergency number.",
    Urgency.same_day: "See a doctor today (your GP's same-day service, urgent care or out-of-hours).",
    Urgency.soon: (
        "Book an appointment with a doctor or physiotherapist in the next few days; do not train this area until then."
    ),
}
_RANK = {Urgency.soon: 0, Urgency.same_day: 1, Urgency.emergency: 2}


@dataclass(frozen=True)
class Sign:
    id: RedFlag
    question: str
    why: str
    urgency: Urgency
    source: str


SCREEN: tuple[Sign, ...] = (
    Sign(
        RedFlag.cough_sneeze,
        "Does coughing, sneezing or straining bring on pain in your groin or lower belly?",
        "Pain raised by pressure inside the belly points to a hernia rather than a tight muscle.",
        Urgency.soon,
        f"{SQUAT_UNIVERSITY}; {NICE_HERNIA}",
    ),
    Sign(
        RedFlag.abdominal_pain,
        "Is the pain in your lower belly or pelvis, rather than only at the front of the hip?",
        "Bowel, bladder, kidney and gynaecological problems (and an abscess of the psoas) can be felt here.",
        Urgency.soon,
        f"{SQUAT_UNIVERSITY}; {NICE_HIP}",
    ),
    Sign(
        RedFlag.no_relief,
        "Has a few weeks of rest from what provoked it, plus gentle rehab, brought no relief?",
        "Pain that does not settle with sensible self-care needs a diagnosis, not more of the same.",
        Urgency.soon,
        SQUAT_UNIVERSITY,
    ),
    Sign(
        RedFlag.night_pain,
        "Does the pain wake you at night, or stay the same whatever position you rest in?",
        "Pain that rest does not change is not mechanical; with other signs it can mean infection or a tumour.",
        Urgency.soon,
        FINUCANE,
    ),
    Sign(
        RedFlag.fever,
        "Do you have a fever, chills or feel generally unwell along with the pain?",
        "Fever with hip or back pain can mean an infection of the joint, spine or psoas, which needs treatment today.",
        Urgency.same_day,
        f"{FINUCANE}; {NICE_HIP}",
    ),
    Sign(
        RedFlag.numbness_weakness,
        "Do you have numbness, pins and needles or weakness in a leg or foot?",
        "These point to a nerve being pressed on; weakness that is getting worse needs to be seen quickly.",
        Urgency.same_day,
        FINUCANE,
    ),
    Sign(
        RedFlag.bladder_bowel,
        "Any new trouble passing or holding urine or stools, or numbness between your legs or around your bottom?",
        "These are the signs of cauda equina syndrome, an emergency: delay can leave permanent damage.",
        Urgency.emergency,
        f"{NICE_CES}; {FINUCANE}",
    ),
    Sign(
        RedFlag.trauma,
        "Did the pain start with a fall, an accident or a blow, or suddenly with a pop?",
        "A fracture or a tendon pulled off the bone has to be ruled out before any loading.",
        Urgency.same_day,
        f"{NICE_HIP}; {FINUCANE}",
    ),
    Sign(
        RedFlag.cannot_bear_weight,
        "Are you unable to put weight on the leg or walk a few steps?",
        "Not bearing weight is a sign of a fracture, including a stress fracture of the femoral neck, or infection.",
        Urgency.same_day,
        NICE_HIP,
    ),
    Sign(
        RedFlag.weight_loss,
        "Have you lost weight recently without trying?",
        "Unexplained weight loss with new pain is a warning sign of a serious illness such as cancer.",
        Urgency.soon,
        FINUCANE,
    ),
    Sign(
        RedFlag.cancer_history,
        "Have you ever had cancer?",
        "A past cancer is the strongest single warning sign that new bone or back pain could be a spread of it.",
        Urgency.soon,
        FINUCANE,
    ),
    Sign(
        RedFlag.pregnancy_warning,
        "Pregnant: any bleeding, leaking fluid, painful contractions, dizziness, chest pain or calf pain or swelling?",
        "ACOG lists these as reasons to stop exercising at once: call your maternity unit now, or your emergency "
        "number if you cannot reach them or feel unwell.",
        Urgency.emergency,
        ACOG,
    ),
    Sign(
        RedFlag.hip_surgery,
        "Have you had a hip replacement or other surgery on this hip or groin?",
        "After hip surgery, what the hip may do (how far it bends, how much it loads) is set by the surgeon's "
        "precautions; a plan made without them could dislocate or strain the repair.",
        Urgency.soon,
        f"{NICE_HIP}; asking the surgical team first is our own design",
    ),
    Sign(
        RedFlag.child_limp,
        "Is this for someone under 18 who is limping or has new hip, groin or knee pain?",
        "In children and teenagers a limp or hip pain can be a slipped growth plate or a joint infection, which "
        "need a doctor the same day, not exercise.",
        Urgency.same_day,
        NICE_LIMP,
    ),
    Sign(
        RedFlag.immunosuppression,
        "Do you take steroid tablets or other medicine that weakens the immune system, or have a condition that does?",
        "With a weakened immune system, or after long courses of steroids, hip pain can come from an infection or "
        "from bone losing its blood supply, both of which need a doctor to look first.",
        Urgency.soon,
        FINUCANE,
    ),
    Sign(
        RedFlag.impact_pain,
        "Does hopping on the leg, running or landing bring on pain deep in the groin or hip?",
        "Groin pain on impact in someone who runs is the warning sign of a stress fracture of the femoral neck, "
        "which can break through if it keeps being loaded.",
        Urgency.same_day,
        BODEN,
    ),
)

# Pain at the top of the "refer" grade is not a matter of days (our own design, after NICE's hip-pain summary).
PAIN_URGENCY: tuple[tuple[int, Urgency], ...] = ((9, Urgency.same_day), (0, Urgency.soon))  # from this level up


def pain_urgency(pain_level: int) -> Urgency:
    return next(urgency for low, urgency in PAIN_URGENCY if pain_level >= low)


BY_ID = {sign.id: sign for sign in SCREEN}


def needs_referral(flags: tuple[RedFlag, ...], pain: PainGrade) -> bool:
    return bool(flags) or not pain.session


def referral(flags: tuple[RedFlag, ...], pain: PainGrade, pain_level: int, table: Mapping[str, str]) -> Referral | None:
    """A referral when any red flag is reported or the pain grade allows no session; None otherwise.

    ``table`` holds the sentences in the user's language (``wording.words``): the English texts above by key.
    """
    causes = [
        ReferralCause(
            id=s.id.value,
            text=table[f"sign.{s.id.value}.question"],
            why=table[f"sign.{s.id.value}.why"],
            urgency=s.urgency,
            source=s.source,
        )
        for s in (BY_ID[flag] for flag in flags)
    ]
    if not pain.session:
        causes.append(
            ReferralCause(
                id=f"pain-{pain.id}",
                text=table["referral.pain"].format(pain_level=pain_level),
                why=table[f"grade.{pain.id}.reason"],
                urgency=pain_urgency(pain_level),
                source=pain.source,
            )
        )
    if not causes:
        return None
    urgency = max((c.urgency for c in causes), key=_RANK.__getitem__)
    advice = table["referral.advice"].format(urgency=table[f"urgency.{urgency.value}"])
    return Referral(urgency=urgency, advice=advice, causes=causes)


def describe(sign: Sign, table: Mapping[str, str]) -> RedFlagInfo:
    return RedFlagInfo(
        id=sign.id,
        question=table[f"sign.{sign.id.value}.question"],
        why=table[f"sign.{sign.id.value}.why"],
        urgency=sign.urgency,
        advice=table[f"urgency.{sign.urgency.value}"],
        source=sign.source,
    )


def markdown() -> str:
    """The README's red-flag table, from ``SCREEN``, then how pain alone is referred (``PAIN_URGENCY``)."""
    lines = ["| Sign | Question | Urgency | Source |", "| --- | --- | --- | --- |"]
    lines.extend(f"| `{s.id.value}` | {s.question} | {s.urgency.value} | {s.source} |" for s in SCREEN)
    refer = next(g for g in PAIN_GRADES if not g.session)
    high = refer.high
    for low, urgency in PAIN_URGENCY:
        low = max(low, refer.low)
        band = f"{low}/10" if low == high else f"{low}-{high}/10"
        source = f"{NICE_HIP}; the urgency is our own design"
        lines.append(f"| `pain-{refer.id}` | pain today {band} | {urgency.value} | {source} |")
        high = low - 1
    return "\n".join(lines) + "\n"
