# nuage (Fig 10.1): hatched circles for masked communes -- does the radius depend on anything but population?
import re,sys,json
sys.path.insert(0,'/tmp/redteam9/work/B/scripts')
T=json.load(open('/tmp/redteam9/work/B/out/tables_%s.json'%sys.argv[1]))
tab=[v for k,v in T.items() if k.startswith('10-gradient') and v['rows'][0][0]=='Commune'][0]['rows'][1:]
L=open('/tmp/redteam9/work/B/out/svg/%s-gradient-nuage.txt'%sys.argv[1]).read()
circ=re.findall(r'path d=M ([\d.]+) ([\d.]+) C .*?style=fill: url',L)
N=lambda s:int(re.sub(r'[^0-9]','',s))
inc=[(N(r[2]), r[0], N(r[4]), r[5]) for r in tab]
# x scale from ticks 25000->77.056288, 30000->142.965868
ax=lambda x: 77.056288+(x-25000)*(142.965868-77.056288)/5000
cy=242.378711
rows=[]
for x,y in circ:
    x=float(x); y=float(y); r=y-cy
    best=min(inc,key=lambda t:abs(ax(t[0])-x))
    rows.append((best[1],best[2],best[3],round(r,4),round(r*r,3)))
import numpy as np
P=np.array([r[1] for r in rows]); R2=np.array([r[4] for r in rows])
A=np.vstack([np.ones_like(P),P]).T; c,res,_,_=np.linalg.lstsq(A,R2,rcond=None)
for r in rows: print(r, 'resid=%.4f'%(r[4]-(c[0]+c[1]*r[1])))
print('fit r^2 = %.4f + %.4g*pop'%tuple(c))
