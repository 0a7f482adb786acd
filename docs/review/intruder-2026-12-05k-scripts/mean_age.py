# age classes + printed mean age (known ages) -> feasible small classes; ages 0..120 (codebook), classes as printed
import itertools,sys
books={'newperiod1':dict(mean=43.1,known={(18,24):None,(25,44):35,(45,64):21,(65,120):10},small=[(0,11),(12,17)],np=(18,24),tot=77),
       'newperiod2':dict(mean=43.9,known={(18,24):13,(25,44):29,(45,64):25},small=[(0,11),(12,17)],np=(65,120),tot=77),
       'newperiod3':dict(mean=46.2,known={(25,44):25,(45,64):26,(65,120):17},small=[(0,11),(12,17)],np=(18,24),tot=77)}
for b,d in books.items():
    kn={k:v for k,v in d['known'].items() if v}
    rest=d['tot']-sum(kn.values())
    feas=set()
    for a0,a1,u in itertools.product(range(5),repeat=3):
        o=rest-a0-a1-u
        if o<0: continue
        n=d['tot']-u
        cls=dict(kn); cls[d['small'][0]]=a0; cls[d['small'][1]]=a1; cls[d['np']]=o
        lo=sum(c*k[0] for k,c in cls.items()); hi=sum(c*k[1] for k,c in cls.items())
        if lo<=(d['mean']+0.05)*n and hi>=(d['mean']-0.05)*n: feas.add((a0,a1,u,o))
    print(b,'rest',rest,'feasible combos',len(feas))
    for i,name in enumerate(['0-11','12-17','unknown','np']):
        print('   ',name,sorted({f[i] for f in feas}))
