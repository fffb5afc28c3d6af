#!/usr/bin/env python3
"""Checks the translation catalogs against the code.

Every key the C++ code passes to the catalog (a string literal of the form "area.name")
must be defined, non-empty, in each of locale/*.po, and each catalog must define the
same keys. Keys built at run time from the vocabularies (region.*, occupation.*, org.*,
status.*, error.<field>.<code>) are checked through the lists in src/core/vocabulary.cc.
"""
import pathlib, re, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.')

def read_po(path):
    entries, key = {}, None
    for line in path.read_text(encoding='utf-8').splitlines():
        m = re.match(r'msgid "(.*)"$', line)
        if m:
            key = m.group(1)
            continue
        m = re.match(r'msgstr "(.*)"$', line)
        if m and key:
            entries[key] = m.group(1)
            key = None
    return entries

catalogs = {p.stem: read_po(p) for p in sorted((root / 'locale').glob('*.po'))}
problems = []
names = list(catalogs)
if set(names) != {'en', 'zh_CN', 'zh_TW'}:
    problems.append(f'expected en, zh_CN and zh_TW catalogs, found {names}')
base = set(catalogs[names[0]])
for name, entries in catalogs.items():
    if set(entries) != base:
        problems.append(f'{name}.po: keys differ: missing {sorted(base - set(entries))}, extra {sorted(set(entries) - base)}')
    for k, v in entries.items():
        if not v.strip():
            problems.append(f'{name}.po: {k} is empty')

used = set()
for src in (root / 'src').rglob('*.cc'):
    text = src.read_text(encoding='utf-8')
    for m in re.finditer(r'"((?:site|language|nav|footer|home|form|org|list|statement|person|receipt|status|search|error|ops|channel|meta|a11y)\.[a-z_.]+)"', text):
        if not m.group(1).endswith(('.css', '.js', '.ico')):  # static file names (static_files.cc)
            used.add(m.group(1))
vocab = (root / 'src/core/vocabulary.cc').read_text(encoding='utf-8')
regions = re.search(r'kRegions = \{(.*?)\};', vocab, re.S).group(1)
occupations = re.search(r'kOccupations = \{(.*?)\};', vocab, re.S).group(1)
used |= {'region.' + c for c in re.findall(r'"([a-z_]+)"', regions)}
used |= {'occupation.' + c for c in re.findall(r'"([a-z_]+)"', occupations)}
used |= {f'org.{o}' for o in ('party', 'league', 'pioneers')}
used |= {f'org.long.{o}' for o in ('party', 'league', 'pioneers')}
used |= {f'status.{s}' for s in ('published', 'held', 'rejected', 'withdrawn', 'accepted')}
used.add('error.kind.unknown_value')
for f, codes in {'name': ['required', 'too_long', 'invalid_characters'],
                 'organisations': ['required', 'unknown_value'],
                 'region': ['unknown_value'], 'occupation': ['unknown_value'],
                 'text': ['too_long', 'invalid_characters'], 'persons': ['too_many']}.items():
    used |= {f'error.{f}.{c}' for c in codes}
# Statistics and the static mirror (issue 6): their prefixes, and keys built at run time.
for src in (root / 'src').rglob('*.cc'):
    text = src.read_text(encoding='utf-8')
    for m in re.finditer(r'"((?:stats|export|channel)\.[a-z_.]+)"', text):
        if not m.group(1).endswith(('.html', '.csv', '.json')):  # file names of the export
            used.add(m.group(1))
used |= {f'stats.range.{r}' for r in ('30', '365', 'all')}
used.add('channel.web')
used |= {f'ops.role.{r}' for r in ('volunteer', 'moderator', 'admin')}
used |= {f'ops.reason.{r}' for r in ('declarant-request', 'danger', 'fake', 'duplicate')}
used |= {f'channel.{c}' for c in ('web', 'phone', 'letter', 'fax', 'email', 'poster', 'sheet')}
used = {k for k in used if not k.endswith('.')}
for k in sorted(used - base):
    problems.append(f'key used in the code but missing from the catalogs: {k}')
for p in problems:
    print(p)
print(f'{len(used)} keys used, {len(base)} defined, {len(problems)} problems')
sys.exit(1 if problems else 0)
