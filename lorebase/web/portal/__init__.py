"""The authoring portal at /portal: Document360's editor side, for signed-in team members.

Each screen is a module with its own router; they share `desk` (which workspace and language
an author works in, and the portal's page frame). Screens call `kb/` as the APIs do, so a
rule holds the same whether an author types or a script calls /v2.
"""
