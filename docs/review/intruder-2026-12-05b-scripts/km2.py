import re,sys
from fractions import Fraction
s=open(sys.argv[1]).read()
paths=re.findall(r'<path d="([^"]*)"[^>]*?style="([^"]*)"',s,re.S)
y0=220.381656; y100=24.711068
def panel_x(x):
    # panel 1 ticks 0->74.291382, 20->126.695589 ; panel 2 0->302.564109, 20->354.186164
    if x<280: return (x-74.291382)/(126.695589-74.291382)*20,1
    return (x-302.564109)/(354.186164-302.564109)*20,2
names={'#0072b2':'Enfants','#e69f00':'Adolescents','#009e73':'Adultes','#cc79a7':'Personnes âgées'}
for d,st in paths:
    m=re.search(r'stroke: (#[0-9a-f]{6})',st)
    if not m or m.group(1) not in names: continue
    pts=[(float(a),float(b)) for a,b in re.findall(r'(-?[\d.]+) (-?[\d.]+)',d)]
    if len(pts)<4: continue
    lev=[];xs=[]
    for x,y in pts:
        S=(y0-y)/(y0-y100)
        if not lev or abs(S-lev[-1])>1e-9: lev.append(S); xs.append(panel_x(x))
    pan=xs[0][1]
    print(f'\nPanel {pan} {names[m.group(1)]}: {len(lev)} levels; last x(day)={panel_x(pts[-1][0])[0]:.3f}')
    print('  days  ', [round(x[0],3) for x in xs])
    print('  S     ', [round(v,6) for v in lev])
    print('  ratios', [round(lev[i]/lev[i-1],6) for i in range(1,len(lev))])
