import numpy as np, itertools
from scipy import stats
y0=[30,20,15,14]; T0,T1=8,6
parts=[(1,5,7),(2,2,9),(2,3,8),(2,4,7),(2,5,6),(4,4,5),(1,3,9),(1,4,8),(1,6,6),(3,3,7),(3,4,6),(3,5,5),(1,1,11),(1,2,10)]
target=(np.log(3.56)-np.log(0.47))/2
print('target log half-width %.4f (range %.4f..%.4f)'%(target,(np.log(3.555)-np.log(0.475))/2,(np.log(3.565)-np.log(0.465))/2))
def comps(y,G=None,mode='cr1'):
    y=np.array(list(y)+([0]*((G or len(y))-len(y))),float); Y=y.sum(); g=len(y)
    ss=((y-Y/g)**2).sum()
    return {'cr0':ss/Y**2,'cr1':ss/Y**2*g/(g-1),'pear':max(1,ss/(Y/g)/(g-1))/Y,'pear_nf':ss/(Y/g)/(g-1)/Y,'sumsq':(y**2).sum()/Y**2}[mode]
for p in parts:
    y1=[11,10,34,9]+list(p)
    row=[]
    for mode in ['cr0','cr1','pear','pear_nf','sumsq']:
        for G0 in [4,16]:
            for G1 in [7]:
                v=comps(y0,G0,mode)+comps(y1,G1,mode)
                row.append(f'{mode}/{G0}:{np.sqrt(v):.3f}')
    print(p,' '.join(row))
for q,name in [(1.959964,'z'),(stats.t.ppf(.975,3),'t3'),(stats.t.ppf(.975,6),'t6'),(stats.t.ppf(.975,9),'t9'),(stats.t.ppf(.975,10),'t10'),(stats.t.ppf(.975,4),'t4')]:
    print(name,'needed SE %.4f'%(target/q))
