"""Writes BERT's accent-stripping table (BertNormalizer strip_accents: NFD, then drop category Mn) for every code
point whose result differs from itself, except the Hangul syllables, whose NFD is algorithmic and done in C#.

The runner is built with InvariantGlobalization, where string.Normalize has no data beyond ASCII, so the
tokenizer carries this table instead. Output: one line per code point, 'XXXX YYYY ZZZZ' (hex; an empty
replacement for a lone combining mark is written as just 'XXXX').

Usage: python3 scripts/unicode/strip_accents_table.py > src/Livepeer.Runner.Pipelines/Captioning/StripAccents.txt
"""

import sys
import unicodedata

print(f"# BERT strip_accents (NFD minus Mn), Unicode {unicodedata.unidata_version}; scripts/unicode/strip_accents_table.py")
for cp in range(sys.maxunicode + 1):
    if 0xAC00 <= cp <= 0xD7A3 or 0xD800 <= cp <= 0xDFFF:
        continue
    ch = chr(cp)
    if unicodedata.category(ch) == "Mn":
        continue  # dropped by the C# side from its own category data
    out = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
    if out != ch:
        print(" ".join([f"{cp:04X}"] + [f"{ord(c):04X}" for c in out]))
