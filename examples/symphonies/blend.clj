;; Inverse-volatility blend of three groups: each group is weighed by the
;; volatility of its own simulated portfolio over 10 sessions (not of what it
;; holds today), so a group that has been switching between risky assets counts
;; as risky.
(defsymphony
 "Inverse-volatility blend of groups"
 {:asset-class "EQUITIES", :rebalance-frequency :daily, :rebalance-threshold 0.02}
 (weight-inverse-volatility
  10
  [(group
    "Growth"
    [(if
      (< (rsi "QQQ" {:window 10}) 70)
      [(weight-equal [(asset "QQQ" nil) (asset "XLK" nil)])]
      [(asset "SHY" nil)])])
   (group
    "Bonds and gold"
    [(weight-specified 0.6 (asset "TLT" nil) 0.4 (asset "GLD" nil))])
   (group
    "Best of value"
    [(filter
      (moving-average-return {:window 20})
      (select-top 1)
      [(asset "VTV" nil) (asset "XLP" nil) (asset "XLU" nil)])])]))
