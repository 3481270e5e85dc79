"""The API's JSON parser: DRF's, refusing bodies nested deeper than any of ours.

Python's json module recurses once per nesting level, so `[[[[...]]]]` 5,000 levels
deep raised RecursionError, a 500. No body the API accepts nests more than a few
levels (an order with its lines), so deeper than MAX_DEPTH is a 400 ParseError.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def nesting_depth_exceeds(data: object, limit: int) -> bool:
    """True when objects/arrays nest deeper than `limit` (walked without recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if nesting_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
