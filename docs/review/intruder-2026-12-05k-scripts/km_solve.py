"""For each example KM curve (read from SVG, S printed at 0.1 %), enumerate at-risk sizes n0, events d_k and
censored-between-steps c_k (ANY c>=0, to test the rule 'c in {0} U [5,inf)' and d_k>=5) consistent with the drawn levels.
State after step k: (n_after, S_true) deduped. Reports the set of feasible c_k and d_k, and n0 range."""
import json,sys,collections
cur=json.load(open('/tmp/redteam12/work/F/out/km_curves.json'))
TOL=0.0005+1e-9  # half of 0.1 %
NMAX=int(sys.argv[1]) if len(sys.argv)>1 else 600
names={'#0072b2':'enfants','#e69f00':'ados','#009e73':'adultes','#cc79a7':'agees'}
for ax,(title,curves) in cur.items():
    for gid,col,P in curves:
        if P[0][0]<0: continue
        steps=[]
        for i in range(1,len(P)):
            if abs(P[i][0]-P[i-1][0])<1e-6 and P[i][1]!=P[i-1][1]: steps.append((P[i][0],P[i][1]/100))
        if not steps: continue
        nm=f'{title} {names[col]}'
        # states: dict (n_after, Skey) -> (S, n0set, history sets)
        states={}
        for n0 in range(5,NMAX+1):
            states[(n0,1.0)]=(1.0,{n0})
        featC=[set() for _ in steps]; featD=[set() for _ in steps]
        for k,(day,v) in enumerate(steps):
            new={}
            for (n_prev,_),(S,n0s) in states.items():
                for c in range(0,n_prev+1):
                    n=n_prev-c
                    if n<=0: break
                    # d such that |S(1-d/n)-v|<=TOL
                    lo=n*(1-(v+TOL)/S); hi=n*(1-(v-TOL)/S)
                    import math
                    for d in range(max(1,math.ceil(lo-1e-12)),min(n,math.floor(hi+1e-12))+1):
                        S2=S*(1-d/n)
                        key=(n-d,round(S2,9))
                        featC[k].add(min(c,99)); featD[k].add(min(d,99))
                        if key in new: new[key][1].update(n0s)
                        else: new[key]=(S2,set(n0s))
            states=new
            if not states: print(nm,'NO SOLUTION at step',k,day,v); break
        if not states: continue
        n0all=set().union(*[s[1] for s in states.values()])
        print(f'== {nm}: {len(steps)} steps, n0 in [{min(n0all)},{max(n0all)}] (NMAX {NMAX}), final at-risk after last step in [{min(k[0] for k in states)},{max(k[0] for k in states)}]')
        for k,(day,v) in enumerate(steps):
            C=sorted(featC[k]); D=sorted(featD[k])
            print(f'   step {k} day {day:g} S={v:.3f}: c feasible {C[:8]}{"..." if len(C)>8 else ""}  d feasible {D[:8]}{"..." if len(D)>8 else ""}')
