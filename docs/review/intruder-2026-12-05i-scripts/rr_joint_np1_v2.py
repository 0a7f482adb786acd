"""np1: rate-ratio CI of new demands x1,30 (0,47 a 3,56) [formula of review 4: CR1 sandwich by service, t(G-1), G=17 clusters],
after the fix: GRC no longer known (the copy is not counted); MER not known either (users duplicate_month now n.p. 9..13).
Known: example sizes MOB 30 / NOR 20 / CGE 15 / MST 14 (review-4 L1), all other example services 0; now: 7 services, each >=1, sum 77.
Influence inf_s = now_s/77 - av_s/79 (the 1/G terms cancel), so the CI depends on MOB, NOR and on the sum of squares of the
5 services without 'avant' users (GRC, MER, DUNE, PAS, SMES), which are exchangeable: no name can be tied among them."""
import numpy as np, collections
from scipy import stats
RR=(77/6)/(79/8); t=stats.t.ppf(.975,16); G=17
def parts(N,k,mn=1):
    if k==1:
        if N>=mn: yield (N,)
        return
    for v in range(mn,N//k+1):
        for r in parts(N-v,k-1,v): yield (v,)+r
byr={}
for r in range(5,76):
    P=np.array(list(parts(r,5)));  byr[r]=(P,(P**2).sum(1))
const=(15/79)**2+(14/79)**2
hits=[]; mn_hist=collections.Counter(); cnt=0
for m in range(1,72):
    for n in range(1,72):
        r=77-m-n
        if r<5: continue
        P,S2=byr[r]
        V=(m/77-30/79)**2+(n/77-20/79)**2+const+S2/77**2
        h=t*np.sqrt(V*G/(G-1))
        lo=np.round(np.exp(np.log(RR)-h),2); hi=np.round(np.exp(np.log(RR)+h),2)
        ok=(lo==0.47)&(hi==3.56)
        for p in P[ok]:
            hits.append((m,n,tuple(p)))
print(len(hits),'(MOB, NOR, multiset of the other five) match')
c=collections.Counter(h[0] for h in hits); print('MOB values',sorted(c)[:5],'...',len(c),'distinct; small feasible',[v for v in range(5) if v in c])
c=collections.Counter(h[1] for h in hits); print('NOR values',sorted(c)[:5],'...',len(c),'distinct; small feasible',[v for v in range(5) if v in c])
allhave=[v for v in range(1,5) if all(v in h[2] for h in hits)]
print('values present in EVERY matching multiset of the five exchangeable services:',allhave)
print('share of matches whose five contain a value 1..4:',round(np.mean([any(x<5 for x in h[2]) for h in hits]),3))
if __name__=='__main__' and len(__import__('sys').argv)>1:   # truth check only: python rr_joint_np1_v2.py check
    print('truth (MOB 10, NOR 34, others 2,3,8,9,11) among matches:',(10,34,(2,3,8,9,11)) in hits)
