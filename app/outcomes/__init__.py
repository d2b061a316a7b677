"""Outcomes: whether a tenant's users get better (pain, adherence, safety), per user and as an anonymised cohort.

``measures`` holds every definition and its source, ``people`` assesses one
user, ``cohort`` combines users into the tenant's report (pure, all three);
``store`` is the SQL that counts and sums per user.
"""
