import pandas as pd, glob, re, os, io, warnings
warnings.filterwarnings('ignore')
B='/tmp/redteam3/books'; W='/tmp/redteam3/work'
for b in ['example','newperiod1','newperiod2']:
    od=f'{W}/tables_{b}'; os.makedirs(od,exist_ok=True)
    rows=[]
    for f in sorted(glob.glob(f'{B}/{b}/chapters/*.html')+glob.glob(f'{B}/{b}/annexes/*.html')):
        try: tabs=pd.read_html(f)
        except ValueError: continue
        for i,t in enumerate(tabs):
            name=os.path.basename(f).replace('.html','')
            t.to_csv(f'{od}/{name}_{i}.csv',index=False)
            for r in range(len(t)):
                for c in t.columns:
                    v=str(t.iloc[r][c])
                    if re.search(r'<\s*5|n\.p\.',v):
                        rows.append((name,i,str(t.iloc[r,0])[:40],str(t.iloc[r,1])[:40] if t.shape[1]>1 else '',str(c)[:30],v[:40]))
    d=pd.DataFrame(rows,columns=['page','table','row0','row1','col','value'])
    d.to_csv(f'{W}/suppressed_{b}.csv',index=False)
    print(b,len(d))
