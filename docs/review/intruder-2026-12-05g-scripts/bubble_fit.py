import subprocess,re,numpy as np,sys
for b in ['newperiod1','newperiod2','example']:
    out=subprocess.run(['/tmp/pyspy/bin/python','scripts/bubble_sizes.py',b],capture_output=True,text=True).stdout.split('\n')
    rows=[]
    for l in out:
        m=re.match(r"\('([^']+)', (\d+), '([^']*)', ([-\d.]+), ([\d.]+)\)",l)
        if m and float(m.group(4))>0: rows.append((m.group(1),int(m.group(2)),m.group(3),float(m.group(4))))
    if not rows: print(b,'no hatched'); continue
    P=np.array([r[1] for r in rows],float); R=np.array([r[3] for r in rows])
    for name,X in [('r2~pop',P),('r~sqrt(pop)',np.sqrt(P)),('r~pop',P)]:
        Y=R**2 if name=='r2~pop' else R
        A=np.vstack([np.ones_like(X),X]).T; c=np.linalg.lstsq(A,Y,rcond=None)[0]
        print(b,name,'max|resid|=%.4f'%np.max(np.abs(Y-A@c)),c)
