"""np1: rate-ratio CI of new demands (0,47 a 3,56), exact formula from review 4 (CR1 sandwich clustered by service, t G-1),
example sizes MOB 30 / NOR 20 / CGE 15 / MST 14 (review-4 L1), plus NEW facts: MER = 11 (D.2 users duplicate_month, all 6 months
replaced), GRC in 1..4 (D.2 duplicate_submission inside 'autres motifs'), every service >= 1 (7 services ont encode 77).
Question: does it narrow GRC or PAS (both small, unprinted)?"""
import numpy as np, itertools, collections
from scipy import stats
RR=(77/6)/(79/8)
AV={'CAC':0,'CDC':0,'CGE':15,'DIA':0,'DUNE':0,'EQU':0,'GRC':0,'IFISAM':0,'LBSM':0,'MER':0,'MOB':30,'MST':14,'NCP':0,'NOR':20,'REZ':0,'SMES':0}
t=stats.t.ppf(.975,16)
def ci(now):
    cl=sorted(set(AV)|set(now)); G=len(cl); Y0=79; Y1=77
    inf=np.array([(now.get(s,0)-Y1/G)/Y1-(AV.get(s,0)-Y0/G)/Y0 for s in cl])
    h=t*np.sqrt((inf**2).sum()*G/(G-1)); return round(np.exp(np.log(RR)-h),2),round(np.exp(np.log(RR)+h),2)
hits=[]
for grc in range(1,5):
  for mob in range(1,77):
    for nor in range(1,77):
      rest=77-11-grc-mob-nor
      if rest<3: continue
      for dune in range(1,rest-1):
        for pas in range(1,rest-dune):
          smes=rest-dune-pas
          if smes<1: continue
          now={'GRC':grc,'MOB':mob,'NOR':nor,'MER':11,'DUNE':dune,'PAS':pas,'SMES':smes}
          if ci(now)==(0.47,3.56): hits.append(now)
print(len(hits),'allocations match')
for k in ['GRC','PAS','DUNE','SMES','MOB','NOR']:
    c=collections.Counter(h[k] for h in hits); print(k,'values:',sorted(c)[:12],'... n distinct',len(c),' small values possible:',[v for v in range(5) if v in c])
