;; Overbought/oversold hedge: step aside into volatility when SPY or QQQ is
;; overbought, buy the dip in leveraged tech when QQQ is oversold, otherwise
;; hold the trend (or bonds below the 200-day average).
(defsymphony
 "Overbought/oversold hedge"
 {:asset-class "EQUITIES", :rebalance-frequency :daily, :rebalance-threshold 0.05}
 (weight-equal
  [(if
    (> (rsi "SPY" {:window 10}) 79)
    [(asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")]
    [(if
      (> (rsi "QQQ" {:window 10}) 81)
      [(asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")]
      [(if
        (< (rsi "QQQ" {:window 10}) 30)
        [(asset "TQQQ" "ProShares UltraPro QQQ")]
        [(if
          (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))
          [(weight-equal [(asset "SPY" nil) (asset "QQQ" nil)])]
          [(weight-specified 0.6 (asset "TLT" nil) 0.4 (asset "GLD" nil))])])])])]))
