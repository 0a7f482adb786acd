import numpy as np
exec(open('/tmp/redteam3/scripts/newcombe_deff.py').read().split('rows=')[0])
for k,x0,x1,lo,hi in [('np1 AS',16,13,-15.5,9.0),('np2 AS',16,15,-13.3,11.8),('np1 SG',39,19,-38.3,-9.5),('np2 SG',39,17,-40.6,-12.3),('np1 SM',7,13,-3.2,20.0),('np2 SM',7,12,-4.0,17.5)]:
    p0,p1=x0/79,x1/77; ok=[]
    for f0 in np.arange(1,1.2,0.001):
        for f1 in np.arange(1,1.5,0.002):
            a,b=newc_eff(p0,79,p1,77,'neff',f0,f1)
            if abs(a-lo)<=0.05+1e-9 and abs(b-hi)<=0.05+1e-9: ok.append((f0,f1))
    ok=np.array(ok); print(k,'deff0 in [%.3f,%.3f]'%(ok[:,0].min(),ok[:,0].max()),'deff1 in [%.3f,%.3f]'%(ok[:,1].min(),ok[:,1].max()))
