"""Example census: wave 1 (18 SSM) are all 'present in both waves' (18 common). So the common-services difference gives
the wave-2 share of the 18 common SSM, and by difference the 2 wave-2-only SSM (pooled): n_x demands, y_x suivis, z_x
constrained reorientations. Printed: suivi 702/2500 -> 700/2800, common diff -2,7 pt ; contrainte 750/2500 -> 1054/2800,
common diff +7,1 pt."""
import collections
res=[]
for n in range(1,2800):
    rest=2800-n
    ys=[y for y in range(0,min(n,700)+1) if round(100*((700-y)/rest-702/2500),1)==-2.7]
    zs=[z for z in range(0,min(n,1054)+1) if round(100*((1054-z)/rest-750/2500),1)==7.1]
    if ys and zs and True: res.append((n,ys,zs))
print(len(res),'feasible n_x (2 SSM pooled); smallest',res[:3])
ns=[r[0] for r in res]; print('n_x range',min(ns),max(ns))
small=[(n,ys,zs) for n,ys,zs in res if min(ys)<5 or min(zs)<5]
print('cases with y_x or z_x <5:',small[:10], len(small))
