from ipkit import IP
allc=['And','Aud','Ber','Bx','Ett','Eve','For','Gan','Ixe','Jet','Koe','Mol','SG','SJ','Sch','Ucc','WB','WSL','WSP']
Q2=['SG','Koe','Sch'];Q5=['WSL','WB','Aud','Ucc','WSP']
known={'And':11,'Ett':14,'Ixe':5,'Jet':13,'Mol':5}
p=IP('EX communes + "most frequent = Etterbeek, Jette, Anderlecht" (others <= 11) + Q2=12 + Q5<5')
sm=[c for c in allc if c not in known and c not in ('Bx','Sch')]; p.small(*sm); p.var('Bx',0,11); p.var('Sch',0,11)
p.sum_eq(sm+['Bx','Sch'],79-6-sum(known.values())); p.sum_eq(Q2,12); p.rng({k:1 for k in Q5},0,4); p.run()
