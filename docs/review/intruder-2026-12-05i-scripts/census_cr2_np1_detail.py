"""np1: print the unique size partition and the allocations of each indicator (per-SSM counts)."""
import numpy as np
from cr2lib import wilson, allocs, half_cr2, cl_half_range
ns=(7,8,10,11)
for name,Y,lo,hi in [('suivi',16,22.1,66.8),('reorientation',5,1.0,28.7),('premiere ligne',17,13.8,80.7)]:
    hmin,hmax=cl_half_range(Y,36,lo,hi); A=allocs(ns,Y); h=half_cr2(ns,A,Y)
    ok=(h>=hmin-1e-9)&(h<=hmax+1e-9)
    print(name,'per SSM (sizes',ns,'):'); [print('   ',a,'half=%.3f'%hh) for a,hh in zip(A[ok],h[ok])]
# joint: la+ss per SSM
S=np.array([3,2,4,7]) if False else None
