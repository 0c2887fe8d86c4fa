"""pytest's JUnit XML reports, read back: each testcase's pytest node id."""

from __future__ import annotations

# How a report's INTERNALERROR (testcase "pytest" / "internal") is named.
INTERNAL_ERROR = "(pytest internal error)"


def node_id(classname: str, name: str, file: str | None = None) -> str:
    """Undo pytest's junit naming: ("tests.unit.test_x.TestY", "test_z[1]") -> "tests/unit/test_x.py::TestY::test_z[1]".

    The report joins module and classes with dots. With the report's `file` attribute
    (junit_family=xunit1) the module is known; without it, classes are told from modules by
    pytest's default class prefix "Test". A collection error has no classname and the
    module as its name.
    """
    if (classname, name) == ("pytest", "internal"):
        return INTERNAL_ERROR
    if not classname:
        return name.replace(".", "/") + ".py"
    if file and file.endswith(".py"):
        module = file[:-3].replace("/", ".")
        if classname == module or classname.startswith(module + "."):
            classes = classname[len(module) + 1 :].split(".") if classname != module else []
            return "::".join([file, *classes, name])
    parts = classname.split(".")
    first_class = next((i for i, part in enumerate(parts) if i > 0 and part.startswith("Test")), len(parts))
    return "::".join(["/".join(parts[:first_class]) + ".py", *parts[first_class:], name])
