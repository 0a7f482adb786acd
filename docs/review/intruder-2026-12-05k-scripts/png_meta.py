"""PNG metadata (text chunks, size, dpi) vs SVG size; mtime compare."""
import glob,os
from PIL import Image
for f in sorted(glob.glob('/tmp/redteam12/books/*/_generated/figures/*.png')):
    im=Image.open(f); s=f[:-4]+'.svg'
    info={k:v for k,v in im.info.items() if k not in ('icc_profile',)}
    print(f.split('/books/')[1], im.size, im.mode, info, 'svg' if os.path.exists(s) else 'NO SVG', round(os.path.getmtime(f)-os.path.getmtime(s),1) if os.path.exists(s) else '')
