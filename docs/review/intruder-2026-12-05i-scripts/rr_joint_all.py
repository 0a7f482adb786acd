"""Rate ratio of new user demands (np1/np2 x1,30 (0,47 a 3,56), G=17; np3 x1,30 (0,48 a 3,53), G=18).
Reader's facts: before 79 demands in 4 services (sizes UNKNOWN now; 2022 report gives only 4 / 79), after 77 in 7 services,
6 services common. Influence inf_s = a_s/77 - b_s/79. Step 1: the admissible range of V=sum inf^2 from each printed CI.
Step 2: with V only, what is left of the smallest 'after' service? (enumerate after-multisets with before sizes free)."""
import numpy as np, itertools, collections
from scipy import stats
RR=(77/6)/(79/8)
def Vrange(lo,hi,G):
    t=stats.t.ppf(.975,G-1); f=G/(G-1)
    # printed lo = round(exp(log RR - h),2), hi = round(exp(log RR + h),2)
    hs=[]
    for h in np.linspace(0.5,1.5,200001):
        if round(np.exp(np.log(RR)-h)+1e-12,2)==lo and round(np.exp(np.log(RR)+h)+1e-12,2)==hi: hs.append(h)
    hs=np.array(hs); return (hs.min()/t)**2/f,(hs.max()/t)**2/f
V1=Vrange(0.47,3.56,17); V3=Vrange(0.48,3.53,18)
print('V range np1/np2 (G=17):',V1); print('V range np3 (G=18):',V3)
print('joint (only if the same per-service data, which a reader cannot know):',(max(V1[0],V3[0]),min(V1[1],V3[1])))
# Step 2: worst case for the defender = before sizes known (30,20,15,14 for MOB,NOR,CGE,MST) as in review C; count after allocations
def parts(N,k,mn=1):
    if k==1:
        if N>=mn: yield (N,)
        return
    for v in range(mn,N//k+1):
        for r in parts(N-v,k-1,v): yield (v,)+r
for lab,(vl,vh) in [('np1',V1),('np3',V3)]:
    hits=0; small=collections.Counter()
    for m in range(1,72):
        for n in range(1,72):
            r=77-m-n
            if r<5: continue
            P=np.array(list(parts(r,5)))
            V=(m/77-30/79)**2+(n/77-20/79)**2+(15/79)**2+(14/79)**2+(P**2).sum(1)/77**2
            ok=(V>=vl)&(V<=vh)
            hits+=ok.sum()
            for p in P[ok]: small[p[0]]+=1
    print(lab,'matches (MOB,NOR,multiset of 5) with before sizes assumed known:',hits,'; smallest of the five can be',sorted(small)[:8])
