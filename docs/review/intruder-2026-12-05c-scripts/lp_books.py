"""Integer programs over the linked table systems of the three current books (redteam3)."""
from ipkit import IP
import math
allc=['And','Aud','Ber','Bx','Ett','Eve','For','Gan','Ixe','Jet','Koe','Mol','SG','SJ','Sch','Ucc','WB','WSL','WSP']
Q1=['SJ','Mol','And'];Q2=['SG','Koe','Sch'];Q3=['Bx','Gan','Jet'];Q4=['Eve','For','Ber','Ett','Ixe'];Q5=['WSL','WB','Aud','Ucc','WSP']
Q3ex=['Bx','Gan','Eve'];Q4ex=['For','Jet','Ber','Ett','Ixe']
def communes(title,known,nps,total,quint,extra_small=()):
    p=IP(title); smalls=[c for c in allc if c not in known and c not in nps]+list(extra_small)
    p.small(*smalls); p.np_(*nps)
    p.sum_eq(smalls+list(nps),total-sum(known.values()))
    for mem,lo,hi in quint:
        k=sum(known.get(m,0) for m in mem); vs=[m for m in mem if m not in known]
        p.rng({m:1 for m in vs},lo-k,hi-k)
    return p
# ---------- EXAMPLE
communes('EX users communes T8.1 + T10.3 (Q2=12 printed, Q5 <5)',{'And':11,'Ett':14,'Ixe':5,'Jet':13,'Mol':5,'Hors':6},['Bx','Sch'],79,
         [(Q2,12,12),(Q5,0,4)]).run()
p=IP('EX envoyeurs T8.2'); sm=['IP','Ent','Ens','AJ','Jus','Log','Aut','Inc','NR']; p.small(*sm); p.sum_eq(sm,79-39-7-16); p.run()
p=IP('EX revenus T8.4'); sm=['Pen','Hand','Aut','NR']; p.small(*sm); p.sum_eq(sm,79-(8+9+22+14+12+5)); p.run()
p=IP('EX pros T8.3'); p.small('MdR','NR'); p.sum_eq(['MdR','NR'],124-(22+18+15+14+12+13+10+5+6+5)); p.run()
p=IP('EX ages F + mean 37,8 + 2022 min 3/max 89; b=12-17 n.p., c=18-24 <5, f=65+ n.p., u=unknown <5')
p.np_('b'); p.small('c','u'); p.var('f',1,500); p.sum_eq(['b','c','f','u'],79-9-28-28)
p.var('S',0,10000,show=False); p.var('K',0,79,show=False); p.eq({'K':1,'b':-1,'c':-1,'f':-1},65)
p.rng({'S':1,'K':-37.75},0,1e9); p.rng({'S':1,'K':-37.85},-1e9,0)
p.rng({'S':1,'b':-12,'c':-18,'f':-65},3+25*28+45*28+24,1e9)
p.rng({'S':1,'b':-17,'c':-24,'f':-89},-1e9,3+11*8+44*28+64*28); p.run(['b','c','f','u'])
p=IP('EX quality D.1/D.2 + prose 9411/8922/489'); p.np_('u','udup'); p.small('p','uoth'); p.eq({'u':1,'p':1},489-414-33-5); p.eq({'u':1,'udup':-1,'uoth':-1},0); p.run()
# ---------- NP1
communes('NP1 users communes T8.1 + T10.3 (Q2=12,Q5=18)',{'Bx':9},['And','Sch','Ucc','Hors'],77,[(Q2,12,12),(Q5,18,18)]).run()
p=IP('NP1 envoyeurs T8.2'); sm=['Ent','Ens','AJ','Jus','Aut','Inc','NR']; p.small(*sm); p.sum_eq(sm,77-(10+19+13+13+5)); p.run()
p=IP('NP1 revenus T8.4'); sm=['Pen','NR']; p.small(*sm); p.sum_eq(sm,77-(10+15+12+9+6+5+7+9)); p.run()
p=IP('NP1 pros T8.3'); sm=['SSM','SS','Log','Ecole','AJ','MdR','Aut','NR']; p.small(*sm); p.sum_eq(sm,42-27); p.run()
p=IP('NP1 ages (<5,<5,n.p.,35,21,10,unk<5) + mean 43,1 (age<=120)')
p.small('a','b','u'); p.np_('c'); p.sum_eq(['a','b','c','u'],77-66); p.var('S',0,10000,show=False); p.var('K',0,77,show=False)
p.eq({'K':1,'a':-1,'b':-1,'c':-1},66); p.rng({'S':1,'K':-43.05},0,1e9); p.rng({'S':1,'K':-43.15},-1e9,0)
p.rng({'S':1,'b':-12,'c':-18},25*35+45*21+65*10,1e9); p.rng({'S':1,'a':-11,'b':-17,'c':-24},-1e9,44*35+64*21+120*10); p.run(['a','b','c','u'])
p=IP('NP1 census T9.1 (36; suivi 16, LA n.p., reo 5, SS n.p.; RC<5; RCknown <5; sat <5)')
p.np_('LA','SS'); p.small('RC','Known','Sat'); p.sum_eq(['LA','SS'],15); p.rng({'Known':1,'RC':-1},-1e9,0); p.rng({'Sat':1,'Known':-1},-1e9,0); p.run()
p=IP('NP1 census communes T10.2 + hors calcul (BxInc,Hors,Inc all <5)')
sm=[c for c in allc if c not in ('For','And')]+['BxInc','HorsB','Inc']; p.small(*sm); p.np_('And'); p.sum_eq(sm+['And'],36-5); p.run(quiet=True)
p=IP('NP1 quality (pros read/excl n.p.; census excl <5; prose 414=342+72)'); p.np_('pexcl','pdup'); p.small('poth','rexcl'); p.eq({'pexcl':1,'rexcl':1},12); p.eq({'pexcl':1,'pdup':-1,'poth':-1},0); p.run()
# ---------- NP2
communes('NP2 users communes T8.1 + T10.3 (Q2=16,Q3=15,Q5=18)',{'Aud':8,'Gan':5,'Ucc':5,'Hors':12},['And','Bx','SG','Sch'],77,[(Q2,16,16),(Q3,15,15),(Q5,18,18)]).run()
p=IP('NP2 envoyeurs T8.2'); sm=['Ens','AJ','Jus','Aut','Inc','NR']; p.small(*sm); p.sum_eq(sm,77-(8+5+17+12+15+8)); p.run()
p=IP('NP2 revenus T8.4'); sm=['Cho','Aut','NR']; p.small(*sm); p.sum_eq(sm,77-(6+17+11+6+5+16+11)); p.run()
p=IP('NP2 pros T8.3'); sm=['MM','Log','Ecole','AJ','MdR','Aut','NR']; p.small(*sm); p.sum_eq(sm,42-(6+6+6+6+5)); p.run()
p=IP('NP2 ages (<5,<5,13,29,25,n.p.,unk<5) + mean 43,9 (age<=120)')
p.small('a','b','u'); p.np_('f'); p.sum_eq(['a','b','f','u'],77-67); p.var('S',0,10000,show=False); p.var('K',0,77,show=False)
p.eq({'K':1,'a':-1,'b':-1,'f':-1},67); p.rng({'S':1,'K':-43.85},0,1e9); p.rng({'S':1,'K':-43.95},-1e9,0)
p.rng({'S':1,'b':-12,'f':-65},18*13+25*29+45*25,1e9); p.rng({'S':1,'a':-11,'b':-17,'f':-120},-1e9,24*13+44*29+64*25); p.run(['a','b','f','u'])
p=IP('NP2 census T9.1 + 76,2% (suivi+LA=21); SS<5; RC n.p.>=5 (known=5); sat<5')
p.np_('Suivi','LA','Reo','RC'); p.small('SS','Sat'); p.sum_eq(['Suivi','LA'],21); p.sum_eq(['Reo','SS'],15); p.rng({'RC':1},5,1e9); p.rng({'RC':1,'Reo':-1},-1e9,0); p.run()
p=IP('NP2 census communes T10.2 + hors calcul')
sm=[c for c in allc if c!='Ixe']+['BxInc','HorsB','Inc']; p.small(*sm); p.np_('Ixe'); p.sum_eq(sm+['Ixe'],36); p.run(quiet=True)
