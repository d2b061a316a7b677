"""The six goals as data: each one's phases, in the order its article teaches them.

A phase asks for exercises by role. Among those, the generator prefers the
article's own picks (``picks``), then exercises credited to the phase's
sources, then the best match for the user's level. Nothing here branches on a
goal: adding or reordering a phase is an edit to this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.catalogue.models import Goal, Role
from app.workouts.models import Frequency, GoalInfo, PhaseInfo, TightSide

KASSAM = "kassam-fascial-stretching"
STRETCH_AND_STRENGTHEN = "stretch-and-strengthen-2016"
RUNNING_COACH = "running-coach-pelvis-first"
SQUAT_UNIVERSITY = "squat-university-hip-flexor-pain"
STRENGTHLOG = "strengthlog-hip-flexors"


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    roles: tuple[Role, ...]  # in order of preference
    purpose: str  # completes "<exercise name> ..." in an item's `why`
    max_items: int = 1
    optional: bool = False  # only used to fill the time asked for
    picks: tuple[str, ...] = ()  # the article's own choices, best first
    # exercises whose role fits but of which the phase's purpose would be untrue: never chosen here
    leaves_out: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # exercises credited to these come first
    tight_picks: tuple[tuple[TightSide, tuple[str, ...]], ...] = ()  # picks that replace `picks` for a tight side

    def picks_for(self, side: TightSide | None) -> tuple[str, ...]:
        for tight, picks in self.tight_picks:
            if tight is side:
                return picks
        return self.picks


@dataclass(frozen=True)
class GoalPlan:
    goal: Goal
    title: str
    description: str
    phases: tuple[Phase, ...]
    sources: tuple[str, ...]
    frequency: Frequency
    default_minutes: int = 20
    max_hold_seconds: int | None = None  # longer static holds are left out
    safety: tuple[str, ...] = ()


GOALS: tuple[GoalPlan, ...] = (
    GoalPlan(
        goal=Goal.balanced,
        title="Balanced",
        description=(
            "Stretch and strengthen: a short mobiliser, then strength work for the hip flexors, then stretches, "
            "because tight hip flexors are often weak ones too."
        ),
        phases=(
            Phase(
                key="mobilise",
                title="Mobilise",
                roles=(Role.mobilise, Role.pelvis, Role.breathing),
                purpose="loosens the hips and pelvis so the rest of the session starts from a good position",
                sources=(KASSAM, RUNNING_COACH),
            ),
            Phase(
                key="strengthen",
                title="Strengthen",
                roles=(Role.isolation, Role.main_lift, Role.dynamic, Role.activation),
                purpose="trains the hip flexors directly, since a muscle that feels tight is often a weak one",
                max_items=3,
                sources=(STRETCH_AND_STRENGTHEN, STRENGTHLOG),
            ),
            Phase(
                key="stretch",
                title="Stretch",
                roles=(Role.stretch,),
                purpose="opens the front of the hip, to end the session",
                max_items=3,
                sources=(STRETCH_AND_STRENGTHEN, STRENGTHLOG),
            ),
        ),
        sources=(STRETCH_AND_STRENGTHEN, STRENGTHLOG, KASSAM, RUNNING_COACH),
        frequency=Frequency(
            advice="About twice a week, counting any leg-day work that already trains the hip flexors.",
            sources=[STRENGTHLOG],
        ),
    ),
    GoalPlan(
        goal=Goal.mobility,
        title="Mobility",
        description=(
            "Gentle breathing and multi-directional movement first, then stretches, then strength with the hip flexors "
            "long or near the end of their range, which improves mobility as much as passive stretching or more."
        ),
        phases=(
            Phase(
                key="breathe-mobilise",
                title="Breathe and mobilise",
                roles=(Role.breathing, Role.mobilise),
                purpose="eases the hip flexors gently, through breathing and movement in more than one direction",
                max_items=2,
                sources=(KASSAM,),
            ),
            Phase(
                key="stretch",
                title="Stretch",
                roles=(Role.stretch,),
                purpose="lengthens the front of the hip without forcing it",
                max_items=3,
                sources=(KASSAM, STRENGTHLOG),
            ),
            Phase(
                key="strength-through-range",
                title="End-range strength",
                roles=(Role.lengthen, Role.main_lift, Role.isolation),
                purpose=(
                    "builds hip-flexor strength at long length or near the end of the range, the part that keeps "
                    "new mobility; stop before the lower back arches"
                ),
                max_items=2,
                sources=(STRENGTHLOG,),
                # isolation work for the strength goal, but both stop with the thigh at about hip height:
                # not strength near the end of the range (catalogue 2.3.2 added the march)
                leaves_out=("standing-supported-knee-raise", "banded-hip-march"),
            ),
        ),
        sources=(KASSAM, STRENGTHLOG),
        safety=(
            "Kassam's therapist-assisted psoas stretch is done to you by a trained therapist; do not try it alone.",
        ),
        frequency=Frequency(
            advice=(
                "The gentle breathing and mobility work can be daily; keep the end-range strength work to about "
                "twice a week."
            ),
            sources=[KASSAM, STRENGTHLOG],
        ),
    ),
    GoalPlan(
        goal=Goal.strength,
        title="Strength",
        description=(
            "A short warm-up, then StrengthLog's hip-flexor workout: a leg raise as the main lift, a standing hip "
            "flexor raise as the isolation exercise, mountain climbers to finish; longer sessions add strength at "
            "length (before the finisher, while you are fresh) and stretches."
        ),
        phases=(
            Phase(
                key="warm-up",
                title="Warm-up",
                roles=(Role.mobilise, Role.pelvis),
                purpose="warms the hips and takes them through their range before the work that follows",
                picks=("hip-mobility-flow", "all-fours-pelvic-tucks", "front-line-opener"),
                sources=(KASSAM, RUNNING_COACH),
            ),
            Phase(
                key="main-lift",
                title="Main lift",
                roles=(Role.main_lift,),
                purpose="is the main strength builder, lifting the legs against the weight of the lower body",
                picks=("hanging-leg-raise", "lying-leg-raise"),
                sources=(STRENGTHLOG,),
            ),
            Phase(
                key="isolation",
                title="Isolation",
                roles=(Role.isolation,),
                purpose="loads hip flexion directly, so it can be overloaded a little more each week",
                picks=("standing-hip-flexor-raise",),
                sources=(STRENGTHLOG,),
            ),
            Phase(
                key="strength-at-length",
                title="Strength at length",
                roles=(Role.lengthen,),
                purpose="builds strength with the hip flexors long, as an accessory to the direct work",
                optional=True,
                sources=(STRENGTHLOG,),
            ),
            Phase(
                key="finisher",
                title="Conditioning finisher",
                roles=(Role.finisher,),
                purpose="keeps the hip flexors working without a break, at the tempo given, for endurance",
                picks=("mountain-climbers",),
                sources=(STRENGTHLOG,),
            ),
            Phase(
                key="stretch",
                title="Stretch",
                roles=(Role.stretch,),
                purpose="adds some stretching, useful for people who sit a lot",
                max_items=2,
                optional=True,
                sources=(STRENGTHLOG,),
            ),
        ),
        sources=(STRENGTHLOG,),
        frequency=Frequency(
            advice="About twice a week is enough, counting any leg-day work that already trains the hip flexors.",
            sources=[STRENGTHLOG],
        ),
    ),
    GoalPlan(
        goal=Goal.rehab,
        title="Rehab",
        description=(
            "Calm an irritated front of the hip in Squat University's order: soft-tissue release, pain-free "
            "stretch, brace, isometric, dynamic strength, hip rotators. Nothing should create or worsen pain."
        ),
        phases=(
            Phase(
                key="release",
                title="Soft-tissue release",
                roles=(Role.release,),
                purpose="eases tension just inside the front of the pelvis before you stretch",
                sources=(SQUAT_UNIVERSITY,),
            ),
            Phase(
                key="stretch",
                title="Pain-free stretch",
                roles=(Role.stretch,),
                purpose="restores hip-flexor length without pushing into pain",
                max_items=2,
                sources=(SQUAT_UNIVERSITY,),
            ),
            Phase(
                key="brace",
                title="Brace",
                roles=(Role.brace,),
                purpose="teaches the core to stabilise the spine so the iliopsoas no longer has to",
                sources=(SQUAT_UNIVERSITY,),
            ),
            Phase(
                key="isometric",
                title="Isometric",
                roles=(Role.isometric,),
                purpose="strengthens the hip flexors without moving the joint, the gentlest way to load them again",
                sources=(SQUAT_UNIVERSITY,),
            ),
            Phase(
                key="dynamic",
                title="Dynamic strength",
                roles=(Role.dynamic,),
                purpose="loads the hip flexors through movement while you keep the brace",
                sources=(SQUAT_UNIVERSITY,),
            ),
            Phase(
                key="rotators",
                title="Hip rotators",
                roles=(Role.rotators,),
                purpose="strengthens the lateral hip rotators, often weak and poorly timed with iliopsoas syndrome",
                sources=(SQUAT_UNIVERSITY,),
            ),
        ),
        sources=(SQUAT_UNIVERSITY,),
        frequency=Frequency(
            advice=(
                "Our suggestion: this gentle work can be done daily as long as it stays pain-free; rest from what "
                "provokes the pain, and if a few weeks bring no relief, see a doctor or physical therapist."
            ),
            sources=[SQUAT_UNIVERSITY],
        ),
        safety=("Give the hip rest from whatever provoked the pain (fast running, heavy lifting) while you rehab it.",),
        # The whole protocol at its article doses takes about 27 minutes (the brace alone about 8).
        default_minutes=30,
    ),
    GoalPlan(
        goal=Goal.posture,
        title="Posture",
        description=(
            "For people who sit all day: find the pelvis position first (the hamstrings tip it back, not a glute "
            "squeeze), then strengthen the hip flexors, then breathe, since the psoas works with the diaphragm."
        ),
        phases=(
            Phase(
                key="pelvis",
                title="Pelvis position",
                roles=(Role.pelvis,),
                purpose="moves the pelvis through its range, tipping it forward and back",
                picks=("all-fours-pelvic-tucks",),
                sources=(RUNNING_COACH,),
            ),
            Phase(
                key="position-breathing",
                title="Position and breathing",
                # pelvis drills only: its purpose (the hamstrings set the pelvis) is untrue of plain breathing
                roles=(Role.pelvis,),
                purpose="uses the upper hamstrings, not the glutes, to bring the pelvis towards neutral",
                picks=("ninety-ninety-breathing",),
                # The article's option for a pinchy left side, mirrored for the right.
                tight_picks=tuple(
                    (side, ("ninety-ninety-breathing-asymmetric-arm", "ninety-ninety-breathing")) for side in TightSide
                ),
                sources=(RUNNING_COACH,),
            ),
            Phase(
                key="strengthen",
                title="Strengthen",
                roles=(Role.dynamic, Role.isolation, Role.activation, Role.isometric, Role.main_lift),
                purpose="strengthens the hip flexors now that the pelvis is in a better position",
                max_items=3,
                picks=("bridge-with-hip-flexor-pulls",),
                sources=(RUNNING_COACH, STRENGTHLOG),
            ),
            Phase(
                key="breathe",
                title="Breathe",
                roles=(Role.breathing,),
                purpose="lets the psoas settle, since it works with the diaphragm on every breath",
                picks=("diaphragmatic-breathing",),
                sources=(RUNNING_COACH,),
            ),
        ),
        sources=(RUNNING_COACH, STRENGTHLOG),
        frequency=Frequency(
            advice=(
                "The pelvis and breathing drills are short enough for every day, especially long sitting days; "
                "strengthen about twice a week."
            ),
            sources=[RUNNING_COACH, STRENGTHLOG],
        ),
    ),
    GoalPlan(
        goal=Goal.warmup,
        title="Warm-up",
        description=(
            "Short and dynamic, before training or a run: wake up the pelvis, prime the hip flexors, then controlled "
            "mountain climbers at warm-up dose. No long static holds."
        ),
        phases=(
            Phase(
                key="prepare",
                title="Pelvis and mobility",
                roles=(Role.pelvis, Role.mobilise),
                purpose="takes the pelvis and hips through their range before you load them",
                sources=(RUNNING_COACH,),
            ),
            Phase(
                key="activation",
                title="Activation",
                roles=(Role.activation,),
                purpose="primes the hip flexors while the trunk and pelvis stay quiet",
                max_items=2,
                picks=("banded-hip-march",),
                sources=(STRENGTHLOG,),
            ),
            Phase(
                key="dynamic",
                title="Dynamic",
                roles=(Role.finisher, Role.dynamic),
                purpose="gets the hips and trunk working in movement, at a warm-up dose, not to exhaustion",
                max_items=2,
                picks=("mountain-climbers",),
                sources=(STRENGTHLOG,),
            ),
        ),
        sources=(STRENGTHLOG, RUNNING_COACH),
        frequency=Frequency(advice="Before each training session or run.", sources=[STRENGTHLOG]),
        default_minutes=10,
        max_hold_seconds=10,
    ),
)

BY_GOAL: dict[Goal, GoalPlan] = {plan.goal: plan for plan in GOALS}


def describe(plan: GoalPlan) -> GoalInfo:
    return GoalInfo(
        goal=plan.goal,
        title=plan.title,
        description=plan.description,
        default_minutes=plan.default_minutes,
        phases=[
            PhaseInfo(
                key=p.key,
                title=p.title,
                roles=list(p.roles),
                purpose=p.purpose,
                max_items=p.max_items,
                optional=p.optional,
            )
            for p in plan.phases
        ],
        sources=list(plan.sources),
        frequency=plan.frequency,
    )
