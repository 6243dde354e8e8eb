;; tecl: "TECL For The Long Term (v7)", written from SPEC-tecl.md.
;; Alchemiser's built-in `tecl` evaluates this text. Step numbers in the comments
;; are the spec's; every comparison is strict, as the spec writes it.
(defsymphony "TECL For The Long Term (v7) | Less VIX | KMLM signal boost" {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if
    (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))
    [;; 1.1 bull: TQQQ overbought
     (if
      (> (rsi "TQQQ" {:window 10}) 79)
      [(group "UVXY+75%BIL" [(weight-specified 0.25 (asset "UVXY" nil) 0.75 (asset "BIL" nil))])]
      [;; 1.2 bull: SPY overbought
       (if
        (> (rsi "SPY" {:window 10}) 80)
        [(group "UVXY+75%BIL"
          [(weight-specified 0.25 (asset "UVXY" nil) 0.75 (asset "BIL" nil))])]
        [;; 1.3 bull: KMLM switch KS(W = BIL)
         (group "KMLM Switcher | SimplyGreen | No short"
          [;; KS.1 strong tech / KS.2 weak tech
           (if
            (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10}))
            [(if (> (rsi "XLK" {:window 10}) 81) [(asset "BIL" nil)] [(asset "TECL" nil)])]
            [(if (< (rsi "XLK" {:window 10}) 29) [(asset "TECL" nil)] [(asset "BIL" nil)])])])])])]
    [;; 2.1 bear: TQQQ oversold
     (if
      (< (rsi "TQQQ" {:window 10}) 31)
      [(asset "TECL" nil)]
      [;; 2.2 bear: SPXL oversold
       (if
        (< (rsi "SPXL" {:window 10}) 29)
        [(asset "SPXL" nil)]
        [;; 2.3 bear: UVXY elevated
         (if
          (> (rsi "UVXY" {:window 10}) 74)
          [(if
            (> (rsi "UVXY" {:window 10}) 84)
            [(group "UVXY+85%BIL"
              [(weight-specified 0.15 (asset "UVXY" nil) 0.85 (asset "BIL" nil))])]
            [(asset "BIL" nil)])]
          [;; 2.4 bear: KMLM switch KS(W = TOP1 by RSI(9) of SQQQ, BSV)
           ;; KS.1 strong tech / KS.2 weak tech
           (if
            (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10}))
            [(if (> (rsi "XLK" {:window 10}) 81) [(asset "BIL" nil)] [(asset "TECL" nil)])]
            [(if
              (< (rsi "XLK" {:window 10}) 29)
              [(asset "TECL" nil)]
              [(filter (rsi {:window 9}) (select-top 1) [(asset "SQQQ" nil) (asset "BSV" nil)])])])])])])])]))
