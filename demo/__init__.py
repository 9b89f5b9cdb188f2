"""The demo's stories, played through the services, and the ``seed_demo`` command that tells them.

One module per story, in the order ``seed_demo`` plays them: palaces and people
(``palaces``), providers and projects (``providers``), recruitments, contracts and
their reports (``contracts``), real-time evaluation and rectification (``realtime``),
final evaluation and exit (``final``). The app sits above every other: nothing in
core, procurement, contracts or evaluations imports it.
"""
