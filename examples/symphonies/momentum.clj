;; Momentum rotation: hold the two sector ETFs with the best 60-session return,
;; unless the market's own trend is broken, then the calmest of three defensive
;; funds over 20 sessions.
(defsymphony
 "Sector momentum rotation"
 {:asset-class "EQUITIES", :rebalance-frequency :daily}
 (weight-equal
  [(if
    (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))
    [(filter
      (cumulative-return {:window 60})
      (select-top 2)
      [(asset "XLK" "Technology Select Sector SPDR")
       (asset "XLF" "Financial Select Sector SPDR")
       (asset "XLE" "Energy Select Sector SPDR")
       (asset "XLV" "Health Care Select Sector SPDR")
       (asset "XLI" "Industrial Select Sector SPDR")
       (asset "XLY" "Consumer Discretionary Select Sector SPDR")])]
    [(filter
      (stdev-return {:window 20})
      (select-bottom 1)
      [(asset "TLT" nil) (asset "GLD" nil) (asset "SHY" nil)])])]))
