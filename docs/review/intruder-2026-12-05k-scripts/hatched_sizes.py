# every hatched (masked) rectangle in every SVG: are their sizes identical within a figure?
import glob,re,os
for f in sorted(glob.glob('/tmp/redteam12/books/*/_generated/figures/*.svg')):
    s=open(f).read()
    rects=[]
    for d,st in re.findall(r'<path d="([^"]+)"[^>]*style="([^"]*fill: url\(#h[^"]*)"',s):
        nums=[float(x) for x in re.findall(r'-?[\d.]+',d)]
        if 'C' in d: rects.append(('circle',)); continue
        xs=nums[0::2]; ys=nums[1::2]
        rects.append((round(max(xs)-min(xs),3),round(max(ys)-min(ys),3)))
    if rects:
        sizes=sorted(set(r for r in rects if r!=('circle',)))
        print(os.path.relpath(f,'/tmp/redteam12/books'), len(rects), 'distinct rect sizes:', sizes[:8])
