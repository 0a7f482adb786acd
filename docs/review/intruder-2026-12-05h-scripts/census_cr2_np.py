"""Census wave 2 (np1, np2): invert the CR2/Bell-McCaffrey intervals of T9.1 (the wider of Wilson and cluster) into
per-SSM sizes (4 SSM, 36 demands), then see whether any small census cell is narrowed.
np1: Suivi 16/36 (22,1 a 66,8); Reorientation 5/36 (1,0 a 28,7); premiere ligne 17/36 (13,8 a 80,7).
np2: premiere ligne 23/36 (30,1 a 97,7)."""
import numpy as np, itertools, collections, sys
from cr2lib import wilson, bm_df, allocs, half_cr2, cl_half_range
from scipy import stats
def parts(N,G,lo=1):
    def rec(rem,g,mn):
        if g==1:
            if rem>=mn: yield (rem,)
            return
        for v in range(mn,rem//g+1):
            for r in rec(rem-v,g-1,v): yield (v,)+r
    return list(rec(N,G,lo))
def cands(ns,Y,lo,hi):
    hmin,hmax=cl_half_range(Y,sum(ns),lo,hi)
    A=allocs(ns,Y); h=half_cr2(ns,A,Y)
    ok=(h>=hmin-1e-9)&(h<=hmax+1e-9)
    return A[ok]
books={'np1':[(16,22.1,66.8),(5,1.0,28.7),(17,13.8,80.7)],'np2':[(23,30.1,97.7)]}
for b,inds in books.items():
    print('===',b)
    for Y,lo,hi in inds: print('  Wilson',Y,'/36 =',[round(x,1) for x in wilson(Y,36)],'printed',lo,hi,'cluster half range',[round(x,3) for x in cl_half_range(Y,36,lo,hi)])
    surv=[]
    for ns in parts(36,4):
        C=[cands(ns,*i) for i in inds]
        if any(len(c)==0 for c in C): continue
        if b=='np1':
            # suivi and reorientation are disjoint outcomes: suivi_s + reo_s <= n_s
            S,R=C[0],C[1]; ok=False
            for s in S:
                if ((R+s)<=np.array(ns)).all(1).any(): ok=True;break
            if not ok: continue
        surv.append((ns,[len(c) for c in C]))
    print('  surviving size partitions:',len(surv),'of',len(parts(36,4)))
    for ns,l in surv[:60]: print('   ',ns,'allocs',l)
    mins=collections.Counter(ns[0] for ns,_ in surv); print('  smallest SSM size values:',sorted(mins))
