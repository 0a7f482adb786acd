"""S1/S2: Table 11.6 (newperiod / newperiod2 book, 'Nouvelles demandes avant/maintenant') + counts of services that encoded."""
from ipkit import IP
NP=None
before_pub={'Chapelle':NP,'Champs':NP,'CGE':15,'DIci':NP,'Dune':NP,'Equipe':NP,'GC':NP,'IFISAM':NP,'Ligue':NP,
            'Meridien':NP,'Mobiwest':30,'MST':NP,'Primavera':NP,'Norois':NP,'Rezone':NP,'Smes':NP}
both=['Dune','GC','Meridien','Mobiwest','Norois','Smes']
def before(title,nserv=None,use_both=True):
    p=IP(title)
    for k,v in before_pub.items():
        if v is None: p.np_(k)
        else: p.var(k,v,v)
    p.sum_eq(list(before_pub),79)                 # Tab 11.4 'tous' avant (79)
    if use_both: p.sum_eq(both,50)                # Tab 11.4 'présents aux deux éditions' avant (50)
    if nserv: p.nonzero_count(list(before_pub),0,nserv)   # '4 services ont encodé' (ex. book 8.1, 2022 report: 4 institutions)
    return p
for ns in (None,4):
    r=before(f'BEFORE, Tab 11.6 + Tab 11.4 (79, 50) + #services<= {ns}',ns).run()
    if ns:
        p=before('BEFORE value sets',ns)
        for k in before_pub:
            if before_pub[k] is None:
                vals=[v for v in range(0,80) if p._solve({k:1},[({k:1},v,v)]).status==0]
                print('   ',k,'possible values',vals)
now_pub={'Dune':NP,'GC':NP,'Meridien':11,'Mobiwest':10,'Norois':34,'Passerelle':NP,'Smes':9}
for ns in (None,7):
    p=IP(f'NOW, Tab 11.6 + total 77 + #services == {ns}')
    for k,v in now_pub.items():
        if v is None: p.np_(k)
        else: p.var(k,v,v)
    p.sum_eq(list(now_pub),77)
    if ns: p.nonzero_count(list(now_pub),ns,ns)
    p.run()
    if ns:
        for k in ('Dune','GC','Passerelle'):
            print('   ',k,'possible values',[v for v in range(0,80) if p._solve({k:1},[({k:1},v,v)]).status==0])
