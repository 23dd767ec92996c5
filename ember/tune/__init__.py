"""ember.tune: hyperparameter search (grid, random, successive halving) and lr_find."""

from ember.tune.lr_finder import LRFinderResult, lr_find
from ember.tune.search import SearchResult, SuccessiveHalving, Trial, grid_search, random_search
from ember.tune.space import choice, loguniform, randint, uniform
