import json, sys, collections
# usage: build.py SRC OUT [placeholder]
src, out = sys.argv[1], sys.argv[2]
ph = len(sys.argv) > 3
rows, seen = [], set()
for n, line in enumerate(open(src, encoding='utf-8'), 1):
    line = line.rstrip('\n')
    if not line.strip() or line.startswith('#'):
        continue
    parts = line.split(' ||| ')
    assert len(parts) == 3, (n, line[:80])
    topic, style, text = [p.strip() for p in parts]
    text = text.replace('\\n', '\n')
    key = ' '.join(text.lower().split())
    if key in seen:
        print('DUP', n, text[:60]); continue
    seen.add(key)
    wc = len(text.split())
    if not (5 <= wc <= 120):
        print('LEN', wc, n, text[:60])
    if ph and text.count('{REQUEST}') != 1:
        print('PH', n, text[:60])
    rows.append({'text': text, 'topic': topic, 'style': style})
with open(out, 'w', encoding='utf-8') as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + '\n')
# validate
cnt = 0
for l in open(out, encoding='utf-8'):
    json.loads(l); cnt += 1
print(out, cnt, dict(collections.Counter(r['style'] for r in rows)))
print('topics', len(set(r['topic'] for r in rows)))
