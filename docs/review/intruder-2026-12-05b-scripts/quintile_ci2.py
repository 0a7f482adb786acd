"""Fig 10.3 (gradient-usagers-quintiles.svg): read bar tops & whisker ends from SVG, back-compute Poisson counts."""
import re,sys,decimal,csv
from scipy.stats import chi2
def pois(n,a=0.05):
    lo=0 if n==0 else chi2.ppf(a/2,2*n)/2
    return lo,chi2.ppf(1-a/2,2*n+2)/2
def r1(x): return float(decimal.Decimal(repr(float(x))).quantize(decimal.Decimal('0.1'),rounding=decimal.ROUND_HALF_UP))
def read(fn):
    s=re.sub(r'\s+',' ',open(fn).read())
    ticks={}
    for m in re.finditer(r'<g id="ytick_\d+">\s*<g id="line2d_\d+">\s*<path d="M [\d.]+ ([\d.]+).*?<!-- ([\d,]+) -->',s,re.S):
        ticks[float(m.group(2).replace(',','.'))]=float(m.group(1))
    ks=sorted(ticks); y0=ticks[ks[0]]; k=(ticks[ks[0]]-ticks[ks[1]])/(ks[1]-ks[0])
    val=lambda y:(y0-y)/k
    bars=[(float(a),float(b)) for a,b in re.findall(r'<path d="M ([\d.]+) [\d.]+ L [\d.]+ [\d.]+ L [\d.]+ ([\d.]+) L [\d.]+ [\d.]+ z ?"[^>]*fill: #0072b2',s)]
    wh=[(float(a),float(b),float(c)) for a,b,c in re.findall(r'<path d="M ([\d.]+) ([\d.]+) L [\d.]+ ([\d.]+) ?"[^>]*stroke: #000000',s)]
    return [(round(val(t),4)) for x,t in bars],[(round(val(b),4),round(val(c),4)) for x,b,c in wh]
pop={}
for r in csv.DictReader(open('../public/population.csv')):
    pop.setdefault(r.get('year') or r.get('annee'),{})
print(open('../public/population.csv').readline())

import pandas as pd
for b in ['example_book','newperiod_book','newperiod2_book']:
    t=pd.read_csv(f'../{b}/_generated/tables/gradient-communes.csv')
    popcol=[c for c in t.columns if c.startswith('Population')][0]
    t['pop']=t[popcol].astype(str).str.replace('\u202f','').str.replace(' ','').str.replace('\xa0','').astype(int)
    Q=t.groupby('Quintile de revenu')['pop'].sum().to_dict()
    mem=t.groupby('Quintile de revenu')['Commune'].apply(list).to_dict()
    bars,wh=read(f'../{b}/_generated/figures/gradient-usagers-quintiles.svg')
    print('\n==',b,'bars',bars,'whiskers',wh)
    # match bars to quintiles by x: re-read with x
    s=re.sub(r'\s+',' ',open(f'../{b}/_generated/figures/gradient-usagers-quintiles.svg').read())
    xt=[float(x) for x in re.findall(r'<g id="xtick_\d+">\s*<g id="line2d_\d+">\s*<path d="M ([\d.]+)',s)]
    bx=[(float(a)+float(c))/2 for a,c in re.findall(r'<path d="M ([\d.]+) [\d.]+ L ([\d.]+) [\d.]+ L [\d.]+ [\d.]+ L [\d.]+ [\d.]+ z ?"[^>]*fill: #0072b2',s)]
    wx=[float(a) for a in re.findall(r'<path d="M ([\d.]+) [\d.]+ L [\d.]+ [\d.]+ ?"[^>]*stroke: #000000',s)]
    for x,h in zip(bx,bars):
        qi=min(range(len(xt)),key=lambda i:abs(xt[i]-x)); q=f'Q{qi+1}'
        w=[wh[j] for j in range(len(wx)) if abs(wx[j]-xt[qi])<1]
        w=w[0] if w else None
        p=Q[q]; sols=[]
        for n in range(0,200):
            lo,hi=pois(n); tt=(r1(n/p*1e4),r1(lo/p*1e4),r1(hi/p*1e4))
            if tt[0]==r1(h) and (w is None or (tt[1]==r1(min(w)) and tt[2]==r1(max(w)))): sols.append(n)
        print(f'  {q} {mem[q]} pop {p}: rate {h} CI {w} -> n in {sols}')
