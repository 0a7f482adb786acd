import pandas as pd, glob, io, re
for b in ['example_book','newperiod_book','newperiod2_book']:
    n_tab=0; n_sup=0; rows=[]
    for f in sorted(glob.glob(f'../{b}/chapters/*.html')+glob.glob(f'../{b}/annexes/*.html')):
        try: tabs=pd.read_html(f)
        except ValueError: continue
        for i,t in enumerate(tabs):
            n_tab+=1
            for r in range(len(t)):
                for c in t.columns:
                    v=str(t.iloc[r][c])
                    if re.search(r'<\s*5|n\.p\.',v):
                        n_sup+=1; rows.append((f.split('/')[-1],i,str(t.iloc[r,0])[:45],str(c)[:30],v[:40]))
    print(f'{b}: {n_tab} tables, {n_sup} suppressed cells')
    pd.DataFrame(rows,columns=['page','table','row','col','value']).to_csv(f'suppressed_{b}.csv',index=False)
