-- wrk script for the realistic app: a mix of its pages (catalog pages, categories, product
-- pages with reviews, searches), chosen at random with a fixed seed per thread.
local categories = { "books", "garden", "kitchen", "music", "office", "outdoor", "tools", "toys" }
local words = { "red", "large", "quiet", "steel", "classic", "compact", "wooden", "smart" }

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(42 + (id or 0))
end

function request()
  local r = math.random(100)
  local path
  if r <= 20 then
    path = "/?page=" .. math.random(0, 99)
  elseif r <= 35 then
    path = "/category/" .. categories[math.random(#categories)] .. "?page=" .. math.random(0, 11)
  elseif r <= 85 then
    path = "/products/" .. math.random(1, 2000)
  else
    path = "/search?q=" .. words[math.random(#words)]
  end
  return wrk.format("GET", path)
end
