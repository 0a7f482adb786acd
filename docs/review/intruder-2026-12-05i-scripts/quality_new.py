"""Annex D (new accounting, copy not counted) + prose/notebook grand totals, every book.
Facts: D.1 per table (read/kept/excl), D.2 motifs (a motif printed on its own line has >=5 rows, since
'autres motifs (moins de 5 lignes chacun)'), prose '397 lues; 342 retenues; 55 ecartees' (ch.7, ch.12, notebook)."""
from ipkit import IP
# example: 9126 = 8922 + 204 ; act 3579/3419/160 ; feuilles 5/0/5 ; users n.p./79/<5 ; pros n.p./124/<5 ; census n.p./5300/n.p.
p=IP('EXAMPLE: 204 = 160 + 5 + uexc + pexc + cexc; cexc = 15+7+6+coth; users/pros only "autres motifs"')
p.small('uexc','pexc'); p.np_('coth','cexc','uread','pread','cread')
p.eq({'uexc':1,'pexc':1,'cexc':1},204-160-5); p.eq({'cexc':1,'coth':-1},28)
p.v['cread']=(0,10000); p.eq({'uread':1,'uexc':-1},79); p.eq({'pread':1,'pexc':-1},124); p.eq({'cread':1,'cexc':-1},5300)
p.eq({'uread':1,'pread':1,'cread':1},9126-3579-5)
p.run()
for b in ['NP1','NP2']:
    p=IP(f'{b}: 55 = 32 + 13 + pexc + cexc ; users 13 = udup(>=5) + uoth(<5) ; pexc = pdup(>=5,n.p.) + poth(<5) ; cexc<5 ; 397 = 219+90+pread+cread')
    p.small('uoth','poth','cexc'); p.np_('udup','pdup','pexc','pread','cread'); p.v['udup']=(5,500); p.v['pdup']=(5,500)
    p.eq({'udup':1,'uoth':1},13); p.eq({'pexc':1,'pdup':-1,'poth':-1},0); p.eq({'pexc':1,'cexc':1},55-32-13)
    p.eq({'pread':1,'pexc':-1},42); p.eq({'cread':1,'cexc':-1},36); p.eq({'pread':1,'cread':1},397-219-90)
    p.run()
p=IP('NP3: 54 = 32 + 13 + pexc + cexc ; pexc = 5 + poth ; census read = excl (<5), kept 0 ; 370 = 228+90+pread+cread')
p.small('uoth','poth','cexc'); p.np_('udup','pexc','pread','cread'); p.v['udup']=(5,500)
p.eq({'udup':1,'uoth':1},13); p.eq({'pexc':1,'poth':-1},5); p.eq({'pexc':1,'cexc':1},54-32-13)
p.eq({'pread':1,'pexc':-1},43); p.eq({'cread':1,'cexc':-1},0); p.eq({'pread':1,'cread':1},370-228-90)
r=p.run()
# linked pair in np3
import itertools
print('NP3 joint (poth,cexc) feasible pairs:',[(a,b) for a in range(5) for b in range(5) if a+b==4])
