-- wrk script: the realistic app's page mix (shop.lua), counted per 100 ms (per-100ms.lua).
dofile("bench/lua/per-100ms.lua")
local count_setup = setup
dofile("bench/lua/shop.lua")
local shop_setup = setup
function setup(thread)
  count_setup(thread)
  shop_setup(thread)
end
