"""The sources the coaching rules cite, in full, and how the README's tables cite them."""

SILBERNAGEL = (
    "Silbernagel KG, Thomeé R, Eriksson BI, Karlsson J. Continued sports activity, using a pain-monitoring model, "
    "during rehabilitation in patients with Achilles tendinopathy: a randomized controlled study. "
    "Am J Sports Med 2007;35(6):897-906"
)
FARRAR = (
    "Farrar JT, Young JP, LaMoreaux L, Werth JL, Poole RM. Clinical importance of changes in chronic pain intensity "
    "measured on an 11-point numerical pain rating scale. Pain 2001;94(2):149-158 (about 2 points or 30%)"
)
NSCA = (
    "Haff GG, Triplett NT (eds). Essentials of Strength Training and Conditioning, 4th ed. NSCA/Human Kinetics, 2016 "
    "(the 2-for-2 rule)"
)
ZOURDOS = (
    "Zourdos MC et al. Novel resistance training-specific rating of perceived exertion scale measuring repetitions "
    "in reserve. J Strength Cond Res 2016;30(1):267-275"
)
FOSTER = "Foster C et al. A new approach to monitoring exercise training. J Strength Cond Res 2001;15(1):109-115"
GABBETT = (
    "Gabbett TJ. The training-injury prevention paradox: should athletes be training smarter and harder? "
    "Br J Sports Med 2016;50(5):273-280"
)
MUJIKA = (
    "Mujika I, Padilla S. Detraining: loss of training-induced physiological and performance adaptations. "
    "Part I: short term insufficient training stimulus. Sports Med 2000;30(2):79-87"
)
OURS = "hipflex's own design"
# How the README's table cites them.
CITED_AS = {
    SILBERNAGEL: "Silbernagel et al. 2007, Am J Sports Med",
    FARRAR: "Farrar et al. 2001, Pain (MCID about 2 points / 30%)",
    NSCA: "NSCA Essentials (Haff & Triplett 2016), 2-for-2",
    ZOURDOS: "Zourdos et al. 2016, J Strength Cond Res",
    FOSTER: "Foster et al. 2001",
    GABBETT: "Gabbett 2016, Br J Sports Med",
    MUJIKA: "Mujika & Padilla 2000, Sports Med",
}
