"""Run small pure integer functions of the implementation on z3 bit-vectors.

``SymInt`` stands for a non-negative Python int; the implementation's own function is called
with ``SymInt`` arguments and builds a z3 term for its result. Every time the code needs a
Python bool from a symbolic comparison (an ``assert``, an ``if``, a chained comparison),
``SymBool.__bool__`` records the condition and answers True, so exactly one path is explored.
The caller must then prove that the precondition implies every recorded condition: that makes
the explored path the only feasible one, and shows that the code's assertions never fire.

Python ints are unbounded; the bit-vectors are ``WIDTH`` bits wide, and every operation also
records that its result did not wrap (is below 2**(WIDTH-1)), so a proof over bit-vectors is a
proof about Python ints. Only the operators the zxid code uses are supported; anything else
raises TypeError rather than silently computing something different.
"""

from __future__ import annotations

import z3

WIDTH = 128
_LIMIT = z3.BitVecVal(1 << (WIDTH - 1), WIDTH)


class Trace:
    """The conditions the code relied on while running on symbolic values."""

    def __init__(self) -> None:
        self.conditions: list[tuple[str, z3.BoolRef]] = []

    def record(self, what: str, condition: z3.BoolRef) -> None:
        self.conditions.append((what, condition))


class SymBool:
    def __init__(self, trace: Trace, term: z3.BoolRef, text: str) -> None:
        self.trace, self.term, self.text = trace, term, text

    def __bool__(self) -> bool:
        self.trace.record(f"branch taken: {self.text}", self.term)
        return True


class SymInt:
    """A non-negative Python int as a WIDTH-bit z3 term."""

    def __init__(self, trace: Trace, term: z3.BitVecRef, text: str) -> None:
        self.trace, self.term, self.text = trace, term, text

    def _lift(self, other: object) -> tuple[z3.BitVecRef, str]:
        if isinstance(other, SymInt):
            return other.term, other.text
        if isinstance(other, int) and not isinstance(other, bool) and 0 <= other < (1 << (WIDTH - 1)):
            return z3.BitVecVal(other, WIDTH), str(other)
        raise TypeError(f"unsupported operand {other!r}")

    def _result(self, term: z3.BitVecRef, text: str) -> SymInt:
        self.trace.record(f"no wrap-around in {text}", z3.ULT(term, _LIMIT))
        return SymInt(self.trace, term, text)

    def __lshift__(self, other: object) -> SymInt:
        amount, text = self._lift(other)
        result = self._result(self.term << amount, f"({self.text} << {text})")
        self.trace.record(f"no bits lost in {result.text}", z3.LShR(result.term, amount) == self.term)
        return result

    def __rshift__(self, other: object) -> SymInt:
        amount, text = self._lift(other)
        return self._result(z3.LShR(self.term, amount), f"({self.text} >> {text})")

    def __or__(self, other: object) -> SymInt:
        term, text = self._lift(other)
        return self._result(self.term | term, f"({self.text} | {text})")

    def __and__(self, other: object) -> SymInt:
        term, text = self._lift(other)
        return self._result(self.term & term, f"({self.text} & {text})")

    def _compare(self, other: object, op: str) -> SymBool:
        term, text = self._lift(other)
        relations = {
            "<": z3.ULT(self.term, term),
            "<=": z3.ULE(self.term, term),
            ">": z3.UGT(self.term, term),
            ">=": z3.UGE(self.term, term),
        }
        return SymBool(self.trace, relations[op], f"{self.text} {op} {text}")

    def __lt__(self, other: object) -> SymBool:
        return self._compare(other, "<")

    def __le__(self, other: object) -> SymBool:
        return self._compare(other, "<=")

    def __gt__(self, other: object) -> SymBool:
        return self._compare(other, ">")

    def __ge__(self, other: object) -> SymBool:
        return self._compare(other, ">=")

    def __bool__(self) -> bool:
        raise TypeError("the truth value of a symbolic int is not defined")

    def __index__(self) -> int:
        raise TypeError("a symbolic int has no concrete value")


def symbol(trace: Trace, name: str) -> SymInt:
    return SymInt(trace, z3.BitVec(name, WIDTH), name)
