--[[
French typography: a no-break space (U+00A0) after « and before » : ; ! ?
when the source has an ordinary space there, so that no line starts with a
closing quote or a colon.

Used by both rendering paths (listed under `filters:` in _quarto.yml, which the
pandoc + typst fallback reads too).
]]

local NBSP = '\u{00A0}'
local OPENING = '«'
local CLOSING = { '»', ':', ';', '!', '?' }

local function starts_closing(text)
  for _, c in ipairs(CLOSING) do
    if text:sub(1, #c) == c then
      return true
    end
  end
  return false
end

function Inlines(inlines)
  for i = 1, #inlines do
    local el = inlines[i]
    if el.t == 'Space' then
      local prev, nxt = inlines[i - 1], inlines[i + 1]
      local after_open = prev and prev.t == 'Str' and prev.text:sub(-#OPENING) == OPENING
      local before_close = nxt and nxt.t == 'Str' and starts_closing(nxt.text)
      if after_open or before_close then
        inlines[i] = pandoc.Str(NBSP)
      end
    end
  end
  return inlines
end
