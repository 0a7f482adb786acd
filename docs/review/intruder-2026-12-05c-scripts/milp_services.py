"""Table 11.6 'Nouvelles demandes' (newperiod1/2) + Table 11.4 + 'N services ont encodé' (example §8.1 / newperiod §8.1)."""
from ipkit import IP
both=['DUNE','GRC','MER','NOR','SMES']; only=['CAC','CDC','CGE','DIA','EQU','IFISAM','LBSM','MST','NCP','REZ']
def avant(extra=None,title=''):
    p=IP('AVANT column'+title); p.np_(*(both+only)); p.sum_eq(both+only,79-30); p.sum_eq(both,50-30)
    p.nonzero_count(both+only,3,3)  # 4 services encoded, Mobiwest is one
    if extra: extra(p)
    r=p.run(quiet=True)
    for k,(a,b,feas,nv) in r.items():
        vals=[v for v in range(0,max(b,0)+1) if p._solve({k:1},[({k:1},v,v)]).status==0]
        print(f'  {k:7s} possible values {vals}')
avant()
def cr2(p):
    # CR2/BM inversion of example Table 8.2 CIs (+ Newcombe deff): nonzero sizes are {20} in 'both' and {15,14} in 'only'
    for s in both+only:
        y='y_'+s
        p.rng({s:1,y:-20},-1e9,0) if s in both else None
    for s in both:
        p.rng({s:1,'y_'+s:-20},0,0)
    for s in only:
        # value in {0,14,15}: s = 14*y + z, z in {0,1}, z<=y
        z='z_'+s; p.var(z,0,1,show=False); p.rng({s:1,'y_'+s:-14,z:-1},0,0); p.rng({z:1,'y_'+s:-1},-1e9,0)
avant(cr2,' + CR2 sizes {30,20,15,14}')
p=IP('MAINTENANT column (7 services encoded = all)'); p.np_('DUNE','GRC','PAS'); p.sum_eq(['DUNE','GRC','PAS'],77-11-10-34-9); p.nonzero_count(['DUNE','GRC','PAS'],3,3); p.run()
