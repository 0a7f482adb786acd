--[[
Clinical vignettes: a fenced div `::: {.vignette service="…" theme="…" title="…"}`
becomes a boxed vignette with a small header line (« Vignette clinique ·
service · thème »).

Used by both rendering paths: Quarto runs it (listed under `filters:` in
_quarto.yml) and the pandoc + typst fallback passes it to pandoc with
--lua-filter, so the two outputs agree. HTML: the box is drawn by
assets/report.css (`.vignette`); typst: the box is a `#block` written here, with
no template function needed.
]]

local BORDER = '#009E73'   -- Okabe-Ito bluish green
local FILL = '#F2FAF7'
local INK = '#00664A'

local function header_inlines(div)
  local inl = pandoc.Inlines('Vignette clinique')
  for _, key in ipairs({ 'service', 'theme' }) do
    local value = div.attributes[key]
    if value and value ~= '' then
      inl:insert(pandoc.Str(' · '))
      inl:extend(pandoc.Inlines(value))
    end
  end
  return inl
end

function Div(div)
  if not div.classes:includes('vignette') then
    return nil
  end
  local head = header_inlines(div)
  if FORMAT:match('typst') then
    local blocks = pandoc.Blocks({
      pandoc.RawBlock('typst', '#block(width: 100%, breakable: true, inset: (x: 12pt, y: 10pt), radius: 4pt, '
        .. 'stroke: 0.8pt + rgb("' .. BORDER .. '"), fill: rgb("' .. FILL .. '"), above: 1.4em, below: 1.4em)['),
      -- sticky: the header line never stays alone at the bottom of a page
      pandoc.Plain({ pandoc.RawInline('typst', '#block(sticky: true, below: 0.6em, text(size: 0.82em, '
        .. 'weight: "bold", fill: rgb("' .. INK .. '"))[') } .. head .. { pandoc.RawInline('typst', '])') }),
    })
    blocks:extend(div.content)
    -- the box carries the vignette's id as a typst label (page numbers of the vignette index)
    local label = div.identifier ~= '' and (' <' .. div.identifier .. '>') or ''
    blocks:insert(pandoc.RawBlock('typst', ']' .. label))
    return blocks
  end
  if FORMAT:match('html') then
    -- `title` would become a tooltip over the whole box: keep it as data only.
    local title = div.attributes.title
    div.attributes.title = nil
    if title then
      div.attributes['data-title'] = title
    end
    div.attributes['role'] = 'note'
    div.content:insert(1, pandoc.Div(pandoc.Plain(head), { class = 'vignette-meta' }))
    return div
  end
  return nil
end
