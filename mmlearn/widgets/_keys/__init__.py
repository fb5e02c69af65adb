"""The answer keys of the book's exercises, one module per chapter.

They live in the library, not in the chapters, so that no visible cell of a chapter shows an
answer: a chapter cell says ``exercise("ch3-relu-backward")``. Each module maps exercise ids
to functions that build the exercise (building is cheap, and a fresh exercise starts with no
attempts). Those functions pass every word through ``_()`` (``mmlearn._i18n``), so the
exercise speaks the language active when it is built; answers are option indices, the same
in every language.
"""
