"""Évolution age difference (no interval) vs printed means: does the printed difference narrow the unrounded means?"""
import numpy as np
m0=37.8; books={'np1':(43.1,5.3),'np2':(43.9,6.1),'np3':(46.2,8.4)}
grid=np.arange(37.75,37.85,0.0005)
ok=np.ones_like(grid,bool)
for b,(m1,d) in books.items():
    m1g=np.arange(m1-0.05,m1+0.05,0.0005)
    feas=np.array([np.any((m1g-x>=d-0.05)&(m1g-x<d+0.05)) for x in grid]); ok&=feas
    lo=m1g[[np.any((y-grid>=d-0.05)&(y-grid<d+0.05)) for y in m1g]]
    print(b,'printed diff equals difference of printed means:',round(m1-m0,1)==d,' m1 range',lo.min().round(3),lo.max().round(3))
print('example mean range after all books',grid[ok].min().round(3),grid[ok].max().round(3))
