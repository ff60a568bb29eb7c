"""Text as readers and XML can take it."""

import re

# C0 controls but tab, newline and carriage return (XML 1.0 refuses them, so a
# vertical tab pasted into a title breaks every feed), DEL, the C1 controls,
# and the two noncharacters XML also refuses.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def strip_control_characters(text):
    return CONTROL_CHARACTERS.sub("", text)
