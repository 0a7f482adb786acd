import re,sys
def dump(fn):
    s=open(fn).read()
    s2=re.sub(r'<defs>.*?</defs>','',s,flags=re.S)
    # walk through elements in order: comments, paths, use
    out=[]
    for m in re.finditer(r'<g id="([^"]+)"|<!--(.*?)-->|<path d="([^"]*)"[^>]*?style="([^"]*)"|<use xlink:href="#(m[0-9a-f]+)" x="([^"]+)" y="([^"]+)"|transform="translate\(([^ ]+) ([^)]+)\)',s2,re.S):
        if m.group(1): out.append('G '+m.group(1))
        elif m.group(2) is not None: out.append('T '+m.group(2).strip())
        elif m.group(3) is not None:
            d=re.sub(r'\s+',' ',m.group(3)).strip()
            out.append('P '+d[:300]+' | '+m.group(4)[:60])
        elif m.group(5): out.append(f'M {m.group(6)} {m.group(7)}')
        elif m.group(8): out.append(f'  at {m.group(8)},{m.group(9)}')
    return out
if __name__=='__main__':
    for l in dump(sys.argv[1]): print(l)
