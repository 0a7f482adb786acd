"""List every LineCollection (matplotlib errorbars / vlines) in every SVG, with the non-empty segments (whiskers)."""
import glob,re
from lxml import etree
NS='{http://www.w3.org/2000/svg}'
for f in sorted(glob.glob('/tmp/redteam12/books/*/_generated/figures/*.svg')):
    t=etree.parse(f)
    for g in t.iter(NS+'g'):
        if (g.get('id') or '').startswith('LineCollection'):
            segs=[p.get('d') for p in g.iter(NS+'path')]
            ne=[s for s in segs if s and s.strip()]
            print(f.split('/books/')[1], g.get('id'), 'paths',len(segs),'non-empty',len(ne), (re.sub(r'\s+',' ',ne[0])[:90] if ne else ''))
