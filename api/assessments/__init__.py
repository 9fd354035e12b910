"""考核评价: schemes as data, assessment runs, drafts, frozen published results, rankings."""
