"""Which strings are X.500 distinguished names, as Java's ``X500Principal(String)`` decides.

ZooKeeper's X509AuthenticationProvider accepts an ``x509`` ACL id exactly when
``new X500Principal(id)`` does not throw, so this module answers that question the way the JDK's
parser (sun.security.x509 in its default, RFC 1779-plus format) does:

* a name is relative distinguished names (RDNs) separated by ``,`` or ``;``, and an RDN is
  attribute-value assertions (AVAs) joined by ``+``; a separator inside double quotes or right
  after a backslash belongs to the value; the empty string is the empty name;
* an AVA is ``keyword=value``: a keyword is one of the JDK's names (CN, C, L, S, ST, O, OU, T,
  IP, STREET, DC, DNQUALIFIER, DNQ, SURNAME, GIVENNAME, INITIALS, GENERATION, EMAIL,
  EMAILADDRESS, UID, SERIALNUMBER; any case, blanks around it ignored) or an object identifier,
  optionally written ``OID.1.2.3``;
* a value is empty, ``#`` and an even number of hex digits holding one DER element, a quoted
  string, or a plain string; backslash escapes one of ``,=+<>#;\\"``, a space or a newline, or
  gives a byte as two hex digits, and a plain value must escape ``<``, ``>`` and ``"``.

Like the JDK, a value ends at the first unescaped ``+``, ``,`` or ``;`` and anything after it in
the same AVA is not looked at. Checked against the JDK 17 parser on generated names by
tests/tree (test_tree_acl.py).
"""

from __future__ import annotations

import re

KEYWORDS = frozenset(
    {
        "CN", "C", "L", "S", "ST", "O", "OU", "T", "IP", "STREET", "DC", "DNQUALIFIER", "DNQ",
        "SURNAME", "GIVENNAME", "INITIALS", "GENERATION", "EMAIL", "EMAILADDRESS", "UID", "SERIALNUMBER",
    }
)  # fmt: skip
# What a backslash may escape inside quotes, and outside them (where a space may be escaped too).
_QUOTED_ESCAPES = ',=\n+<>#;\\"'
_PLAIN_ESCAPES = _QUOTED_ESCAPES + " "
# Characters a plain value must escape (",", "+" and ";" end it instead).
_PLAIN_FORBIDDEN = '<>"'
_VALUE_ENDS = "+,;"
_HEX_DIGITS = "0123456789abcdefABCDEF"
_OID_COMPONENT = re.compile(r"[+-]?\d+")
# The JDK refuses object identifiers longer than this when encoded.
OID_ENCODED_BYTES_MAX = 4096


def is_distinguished_name(text: str) -> bool:
    """Whether ``new X500Principal(text)`` accepts ``text``."""
    if text == "":
        return True
    for rdn in _split(text, ",;", backslash_parity=True):
        for ava in _split(rdn, "+", backslash_parity=False):
            if ava == "" or not _is_ava(ava):
                return False
    return True


def _split(text: str, separators: str, backslash_parity: bool) -> list[str]:
    """``text`` cut where the JDK cuts it: at each separator outside quotes (an unescaped-quote
    count other than one since the last cut) that is not escaped. For RDNs (``,``/``;``) a
    separator after one backslash is escaped, and after two or more when the backslashes since
    the previous separator are odd in number; for AVAs (``+``) any backslash before it escapes
    it, and a ``+`` that starts the text never cuts."""
    parts: list[str] = []
    cut = 0  # where the current part starts
    search = 0  # just after the previous separator character, cut or not
    quotes = 0
    for index, character in enumerate(text):
        if character not in separators:
            continue
        quotes += sum(
            1
            for position in range(search, index)
            if text[position] == '"' and (position == search or text[position - 1] != "\\")
        )
        if quotes != 1 and not _escaped(text, search, index, backslash_parity):
            parts.append(text[cut:index])
            cut, quotes = index + 1, 0
        search = index + 1
    parts.append(text[cut:])
    return parts


def _escaped(text: str, search: int, index: int, backslash_parity: bool) -> bool:
    if not backslash_parity:
        return index == 0 or text[index - 1] == "\\"
    if index == 1:
        return text[0] == "\\"
    if index < 2 or text[index - 1] != "\\":
        return False
    if text[index - 2] != "\\":
        return True
    return text.count("\\", search, index) % 2 == 1


def _java_trim(text: str) -> str:
    """String.trim(): drop leading and trailing characters up to U+0020."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _is_ava(ava: str) -> bool:
    keyword, equals, value = ava.partition("=")
    if not equals or not _is_keyword(keyword):
        return False
    position = 0
    while position < len(value) and value[position] in " \n":
        position += 1
    if position == len(value):
        return True  # an empty value
    if value[position] == "#":
        return _is_hex_value(value, position + 1)
    if value[position] == '"':
        return _is_quoted_value(value, position + 1)
    return _is_plain_value(value, position)


def _is_keyword(keyword: str) -> bool:
    name = _java_trim(keyword).upper()
    if name in KEYWORDS:
        return True
    if name.startswith("OID."):
        name = name[4:]
    if not name or not "0" <= name[0] <= "9":
        return False
    return _is_object_identifier(name)


def _is_object_identifier(text: str) -> bool:
    """ObjectIdentifier.of: at least two components, the first 0-2, the second below 40 unless
    the first is 2, none negative, and at most OID_ENCODED_BYTES_MAX bytes encoded."""
    components = text.split(".")
    if len(components) < 2 or not all(_OID_COMPONENT.fullmatch(part) for part in components):
        return False
    numbers = [int(part) for part in components]
    first, second = numbers[0], numbers[1]
    if not 0 <= first <= 2 or second < 0 or (first != 2 and second > 39) or min(numbers) < 0:
        return False
    arcs = [first * 40 + second, *numbers[2:]]
    return sum(max(1, (arc.bit_length() + 6) // 7) for arc in arcs) <= OID_ENCODED_BYTES_MAX


def _is_hex_value(value: str, position: int) -> bool:
    """``#`` then hex digits up to the end of the value: one DER element (tag, length, content)."""
    end = position
    while end < len(value) and value[end] not in _VALUE_ENDS:
        if value[end] not in _HEX_DIGITS:
            return False
        end += 1
    digits = value[position:end]
    if not digits or len(digits) % 2:
        return False
    return _is_der_element(bytes.fromhex(digits))


def _is_der_element(encoded: bytes) -> bool:
    if len(encoded) < 2 or encoded[0] & 0x1F == 0x1F:
        return False
    length, content = encoded[1], 2
    if length & 0x80:
        length_bytes = length & 0x7F
        if not 1 <= length_bytes <= 4 or len(encoded) < 2 + length_bytes:
            return False
        length = int.from_bytes(encoded[2 : 2 + length_bytes], "big")
        content = 2 + length_bytes
        if length >= 1 << 31:
            return False
    return len(encoded) - content == length


def _is_quoted_value(value: str, position: int) -> bool:
    """After the opening quote: escapes as inside quotes, a closing quote, then only blanks."""
    while True:
        if position >= len(value):
            return False
        character = value[position]
        if character == '"':
            break
        if character == "\\":
            escape_length = _escape_length(value, position + 1, _QUOTED_ESCAPES)
            if escape_length == 0:
                return False
            position += escape_length
        position += 1
    return value[position + 1 :].strip(" \n") == ""


def _is_plain_value(value: str, position: int) -> bool:
    while position < len(value) and value[position] not in _VALUE_ENDS:
        character = value[position]
        if character == "\\":
            escape_length = _escape_length(value, position + 1, _PLAIN_ESCAPES)
            if escape_length == 0:
                return False
            position += escape_length
        elif character in _PLAIN_FORBIDDEN:
            return False
        position += 1
    return True


def _escape_length(value: str, position: int, escapable: str) -> int:
    """How many characters the escape starting at ``value[position]`` takes (two for a hex
    pair, one for an escapable character), or 0 if it is no valid escape."""
    if position >= len(value):
        return 0
    if value[position] in _HEX_DIGITS:
        return 2 if position + 1 < len(value) and value[position + 1] in _HEX_DIGITS else 0
    return 1 if value[position] in escapable else 0
