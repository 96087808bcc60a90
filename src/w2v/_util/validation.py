"""Checks of public parameters, written once: one exception type and one message format.

Every public function that takes a count, a bound, a rate or a switch checks it here, so a
bad value gets the same kind of error wherever it is passed::

    <name> must be <requirement>, got <value>

An :class:`InvalidParameterError` is both a ``ValueError`` and a ``TypeError``: callers
that catch either (as gensim users and our own older code do) keep working, whether the
value had the wrong type (``"5"``) or the wrong size (``-1``).

The compiled kernels keep their own checks of what reaches C: those are the last guard
of memory safety, not the user-facing message, and must hold even when called directly.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Collection
from typing import Literal, overload

__all__ = ["InvalidParameterError", "check_int", "check_number", "check_flag",
           "check_choice"]


class InvalidParameterError(ValueError, TypeError):
    """A public parameter outside what it accepts; the message names it and its value.

    Exported as ``w2v.InvalidParameterError``; catching ``ValueError`` catches it too.

    Example
    -------
    >>> try:
    ...     check_int("window", 0, minimum=1)
    ... except ValueError as error:
    ...     print(error)
    window must be >= 1, got 0
    """


def _fail(name: str, requirement: str, value: object) -> InvalidParameterError:
    shown = repr(value)
    if len(shown) > 80:  # a whole list passed by mistake stays readable
        shown = shown[:77] + "..."
    return InvalidParameterError(f"{name} must be {requirement}, got {shown}")


@overload
def check_int(name: str, value: object, *, minimum: int | None = ...,
              maximum: int | None = ..., allow_none: Literal[False] = ...) -> int: ...
@overload
def check_int(name: str, value: object, *, minimum: int | None = ...,
              maximum: int | None = ..., allow_none: bool) -> int | None: ...
def check_int(name: str, value: object, *, minimum: int | None = None,
              maximum: int | None = None, allow_none: bool = False) -> int | None:
    """``value`` as a Python int within ``[minimum, maximum]``, or InvalidParameterError.

    A bool is refused (``window=True`` is a mistake, not 1); numpy integers are accepted.

    Parameters
    ----------
    name : the parameter's name, as the user wrote it.
    value : what the user passed.
    minimum, maximum : inclusive bounds; None for none.
    allow_none : whether None is a valid value (returned as None).

    Example
    -------
    >>> import numpy as np
    >>> check_int("epochs", np.int64(5), minimum=1)
    5
    >>> check_int("limit", None, minimum=0, allow_none=True) is None
    True
    >>> check_int("window", True)
    Traceback (most recent call last):
    ...
    w2v._util.validation.InvalidParameterError: window must be an integer, got True
    """
    if value is None and allow_none:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise _fail(name, "an integer or None" if allow_none else "an integer",
                    value) from None
    if minimum is not None and number < minimum:
        raise _fail(name, f">= {minimum:,}", number)
    if maximum is not None and number > maximum:
        raise _fail(name, f"<= {maximum:,}", number)
    return number


@overload
def check_number(name: str, value: object, *, minimum: float | None = ...,
                 strict: bool = ..., allow_none: Literal[False] = ...) -> float: ...
@overload
def check_number(name: str, value: object, *, minimum: float | None = ...,
                 strict: bool = ..., allow_none: bool) -> float | None: ...
def check_number(name: str, value: object, *, minimum: float | None = None,
                 strict: bool = False, allow_none: bool = False) -> float | None:
    """``value`` as a finite float at least ``minimum`` (above it when ``strict``).

    Parameters
    ----------
    name : the parameter's name.
    value : what the user passed (an int, a float or a numpy number; not a bool).
    minimum : the lower bound, or None.
    strict : whether ``minimum`` itself is refused.
    allow_none : whether None is a valid value.

    Example
    -------
    >>> check_number("alpha", 0.025, minimum=0.0, strict=True)
    0.025
    >>> check_number("sample", float("nan"))
    Traceback (most recent call last):
    ...
    w2v._util.validation.InvalidParameterError: sample must be a finite number, got nan
    """
    if value is None and allow_none:
        return None
    try:
        if isinstance(value, bool) or isinstance(value, (str, bytes)):
            raise TypeError
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise _fail(name, "a finite number or None" if allow_none else "a finite number",
                    value)
    if minimum is not None and (number <= minimum if strict else number < minimum):
        raise _fail(name, f"{'>' if strict else '>='} {minimum}", value)
    return number


def check_flag(name: str, value: object) -> None:
    """Refuse anything but 0, 1, False and True (gensim's switches are 0/1 ints).

    Example
    -------
    >>> check_flag("sg", 1)
    >>> check_flag("sg", 2)
    Traceback (most recent call last):
    ...
    w2v._util.validation.InvalidParameterError: sg must be 0 or 1, got 2
    """
    if isinstance(value, (str, bytes)) or value not in (0, 1):  # True == 1, False == 0
        raise _fail(name, "0 or 1", value)


def check_choice(name: str, value: object, choices: Collection[object]) -> None:
    """Refuse a value that is not one of ``choices``.

    Example
    -------
    >>> check_choice("merge", "mean", ("mean", "sum"))
    >>> check_choice("merge", "max", ("mean", "sum"))
    Traceback (most recent call last):
    ...
    w2v._util.validation.InvalidParameterError: merge must be one of ('mean', 'sum'), \
got 'max'
    """
    if value not in choices:
        raise _fail(name, f"one of {tuple(choices)!r}", value)
