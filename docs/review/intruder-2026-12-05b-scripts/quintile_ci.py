from scipy.stats import chi2
def pois(n,a=0.05):
    lo=0 if n==0 else chi2.ppf(a/2,2*n)/2
    hi=chi2.ppf(1-a/2,2*n+2)/2
    return lo,hi
def r1(x): # half-up one decimal
    import decimal
    if x!=x: return None
    return float(decimal.Decimal(repr(float(x))).quantize(decimal.Decimal('0.1'),rounding=decimal.ROUND_HALF_UP))
y0=242.302347; k=(242.302347-203.815075)/0.2
def val(y): return (y0-y)/k
print('NP Q2',val(126.840529),val(184.571438),val(49.865984))
print('NP Q3',val(165.327802),val(203.815075),val(107.596893))
print('NP Q5',val(107.596893),val(165.327802),val(30.622347))
pops={'Q2':49323+22563+130775,'Q3':194291+25548+53704,'Q5':59778+25392+35346+86101+42497}
obs={'Q2':(0.6,0.3,1.0),'Q3':(0.4,0.2,0.7),'Q5':(0.7,0.4,1.1)}
for q,p in pops.items():
    for n in range(0,40):
        lo,hi=pois(n); r=n/p*1e4
        t=(r1(r),r1(lo/p*1e4),r1(hi/p*1e4))
        if t==obs[q]: print('NEWPERIOD',q,'pop',p,'n=',n,t, (r,lo/p*1e4,hi/p*1e4))
# example book Q2
p=48837+22023+130690
for n in range(0,40):
    lo,hi=pois(n); t=(r1(n/p*1e4),r1(lo/p*1e4),r1(hi/p*1e4))
    if t==(0.6,0.3,1.0): print('EXAMPLE Q2 pop',p,'n=',n,(n/p*1e4,lo/p*1e4,hi/p*1e4))
    if abs(n/p*1e4-0.6)<0.1: print('  cand',n,n/p*1e4,lo/p*1e4,hi/p*1e4)
