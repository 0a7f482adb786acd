import re,sys
def ylim(fn):
    s=re.sub(r'\s+',' ',open(fn).read())
    ticks={}
    for m in re.finditer(r'<g id="ytick_\d+">\s*<g id="line2d_\d+">\s*<path d="M [\d.]+ ([\d.]+).*?<!-- ([\d,]+) -->',s,re.S):
        ticks[float(m.group(2).replace(',','.'))]=float(m.group(1))
    ks=sorted(ticks); k=(ticks[ks[0]]-ticks[ks[1]])/(ks[1]-ks[0])
    m=re.search(r'<g id="patch_2"> <path d="M ([\d.]+) ([\d.]+) L [\d.]+ [\d.]+ L [\d.]+ ([\d.]+)',s)
    bot,top=float(m.group(2)),float(m.group(3))
    return ks[0]+(ticks[ks[0]]-bot)/k, ks[0]+(ticks[ks[0]]-top)/k
for f in sys.argv[1:]:
    print(f, ylim(f))
